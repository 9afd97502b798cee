#include "sim/mapping/mapping.h"

#include <fmt/format.h>

#include <algorithm>

#include "sim/core/error.h"

namespace mxsim {

namespace {

std::int64_t ceilDiv(std::int64_t a, std::int64_t b) {
  return (a + b - 1) / b;
}

/// First array of the next tile boundary at or after `next` (tile-aligned placement), else `next`.
int aligned(int next, const ChipParams& chip) {
  if (!chip.mapping.tileAligned) return next;
  return static_cast<int>(ceilDiv(next, chip.arraysPerTile)) * chip.arraysPerTile;
}

void place(ArrayBlock& b, int arrayIndex, int arraysPerTile) {
  b.arrayIndex = arrayIndex;
  b.tile = arrayIndex / arraysPerTile;
  b.slot = arrayIndex % arraysPerTile;
}

/// Layers in program order into rounds of at most `available` arrays each; arrays restart at 0 per round.
void assignRounds(Mapping& m, const wl::Program& program, const ChipParams& chip) {
  const int R = chip.array.xbar.rows, C = chip.array.xbar.cols;
  int round = 0, next = 0;
  m.roundArrays.assign(1, 0);
  for (LayerMapping& lm : m.layers) {
    const int n = static_cast<int>(lm.blocks.size());
    if (n > m.arraysAvailable) {
      throw MappingError(
          fmt::format("{}: layer '{}' alone needs {} arrays of {}x{} but the chip has {} ({} tiles x {} arrays); time "
                      "multiplexing cannot split a layer: raise chip.tiles to at least {} or use larger arrays",
                      program.modelPath, program.steps[static_cast<std::size_t>(lm.step)].name, n, R, C,
                      m.arraysAvailable, chip.tiles, chip.arraysPerTile, ceilDiv(n, chip.arraysPerTile)));
    }
    if (next + n > m.arraysAvailable) {
      ++round;
      next = 0;
      m.roundArrays.push_back(0);
    }
    lm.round = round;
    for (ArrayBlock& b : lm.blocks) place(b, next++, chip.arraysPerTile);
    m.roundArrays.back() = next;
  }
  m.rounds = round + 1;
}

/// Greedy replication over the spare arrays: repeatedly give the layer that streams the most vectors per copy,
/// ⌈vectors / replicas⌉, the fewest extra copies that lower that number, if they fit; ties go to the layer
/// needing fewer arrays, then to the earlier one.
void replicate(Mapping& m, const wl::Program& program, const ChipParams& chip) {
  // Tile-aligned: each layer's group of copies may start on a fresh tile, leaving up to a tile's arrays unused.
  int spare = m.arraysAvailable - aligned(m.arraysNeeded, chip) -
              (chip.mapping.tileAligned ? static_cast<int>(m.layers.size()) * (chip.arraysPerTile - 1) : 0);
  for (;;) {
    int best = -1;
    std::int64_t bestPerCopy = 0, bestNeed = 0, bestReplicas = 0;
    for (std::size_t l = 0; l < m.layers.size(); ++l) {
      const LayerMapping& lm = m.layers[l];
      const std::int64_t v = program.steps[static_cast<std::size_t>(lm.step)].vectorsPerImage();
      const std::int64_t perCopy = ceilDiv(v, lm.replicas);
      if (perCopy <= 1) continue;                             // replicas = vectors: nothing left to split
      const std::int64_t replicas = ceilDiv(v, perCopy - 1);  // fewest copies streaming fewer vectors each
      const std::int64_t need = (replicas - lm.replicas) * static_cast<std::int64_t>(lm.blocks.size());
      if (need > spare) continue;
      if (best < 0 || perCopy > bestPerCopy || (perCopy == bestPerCopy && need < bestNeed)) {
        best = static_cast<int>(l);
        bestPerCopy = perCopy;
        bestNeed = need;
        bestReplicas = replicas;
      }
    }
    if (best < 0) break;
    m.layers[static_cast<std::size_t>(best)].replicas = static_cast<int>(bestReplicas);
    spare -= static_cast<int>(bestNeed);
  }
  // Copies take the arrays after the base placement, layer by layer.
  int next = m.arraysNeeded;
  for (LayerMapping& lm : m.layers) {
    if (lm.replicas > 1) next = aligned(next, chip);  // a layer's copies share tiles only with each other
    for (int r = 1; r < lm.replicas; ++r) {
      for (const ArrayBlock& b : lm.blocks) {
        ArrayBlock copy = b;
        place(copy, next++, chip.arraysPerTile);
        lm.replicaBlocks.push_back(copy);
      }
    }
  }
  m.arraysNeeded = next;
  m.arraysUsed = next;
  m.roundArrays.assign(1, next);
}

}  // namespace

Mapping mapProgram(const wl::Program& program, const ChipParams& chip) {
  Mapping m;
  m.policy = chip.mapping;
  m.arraysAvailable = chip.totalArrays();
  m.layerOfStep.assign(program.steps.size(), -1);
  const int R = chip.array.xbar.rows, C = chip.array.xbar.cols;
  int next = 0;
  for (size_t s = 0; s < program.steps.size(); ++s) {
    const auto& step = program.steps[s];
    if (step.unit() != wl::Unit::Analog) continue;  // digital steps, views and denoiser blocks hold no arrays
    LayerMapping lm;
    lm.step = static_cast<int>(s);
    next = aligned(next, chip);
    lm.slices = chip.array.xbar.slices();
    const int K = static_cast<int>(step.weight.rows()), N = static_cast<int>(step.weight.cols());
    // Packs: a dense layer is one pack; a grouped conv packs as many groups as fit an array's rows (and,
    // if they fit, its columns) along the diagonal.
    const int groups = step.groups, kg = K / groups, cg = N / groups;
    int perPack = 1;
    if (groups > 1 && kg <= R) perPack = std::max(1, std::min(R / kg, std::max(1, C / cg)));
    for (int g0 = 0; g0 < groups; g0 += perPack) {
      const int gs = std::min(perPack, groups - g0);
      Pack p;
      p.rowStart = g0 * kg;
      p.rows = gs * kg;
      p.colStart = g0 * cg;
      p.cols = gs * cg;
      if (groups == 1) p.rows = K, p.cols = N;
      p.rowBlocks = (p.rows + R - 1) / R;
      p.colBlocks = (p.cols + C - 1) / C;
      p.firstRowBlock = lm.rowBlocks;
      p.firstBlock = static_cast<int>(lm.blocks.size());
      for (int rb = 0; rb < p.rowBlocks; ++rb) {
        for (int sl = 0; sl < lm.slices; ++sl) {
          for (int cb = 0; cb < p.colBlocks; ++cb) {
            ArrayBlock b;
            b.slice = sl;
            b.rowStart = p.rowStart + rb * R;
            b.rows = std::min(R, p.rowStart + p.rows - b.rowStart);
            b.colStart = p.colStart + cb * C;
            b.cols = std::min(C, p.colStart + p.cols - b.colStart);
            place(b, next++, chip.arraysPerTile);
            lm.blocks.push_back(b);
          }
        }
      }
      lm.rowBlocks += p.rowBlocks;
      lm.colBlocks = std::max(lm.colBlocks, p.colBlocks);
      lm.packs.push_back(p);
    }
    lm.utilisation = static_cast<double>(kg) * N * lm.slices / (static_cast<double>(lm.blocks.size()) * R * C);
    double rowsUsed = 0, colsUsed = 0;
    for (const ArrayBlock& b : lm.blocks) rowsUsed += b.rows, colsUsed += b.cols;
    lm.rowUtilisation = rowsUsed / (static_cast<double>(lm.blocks.size()) * R);
    lm.colUtilisation = colsUsed / (static_cast<double>(lm.blocks.size()) * C);
    m.layerOfStep[s] = static_cast<int>(m.layers.size());
    m.layers.push_back(std::move(lm));
  }
  m.arraysNeeded = next;
  m.arraysUsed = next;
  m.roundArrays.assign(1, next);
  if (m.arraysNeeded > m.arraysAvailable) {
    if (chip.mapping.overflow == MappingOverflow::Error) {
      throw MappingError(fmt::format(
          "{}: the model needs {} arrays of {}x{} but the chip has {} ({} tiles x {} arrays); raise chip.tiles "
          "to at least {} or use larger arrays, or set chip.mapping.overflow: time_multiplex",
          program.modelPath, m.arraysNeeded, R, C, m.arraysAvailable, chip.tiles, chip.arraysPerTile,
          ceilDiv(m.arraysNeeded, chip.arraysPerTile)));
    }
    assignRounds(m, program, chip);
    m.arraysUsed = *std::max_element(m.roundArrays.begin(), m.roundArrays.end());
  } else if (chip.mapping.replication == Replication::Auto) {
    replicate(m, program, chip);
  }
  // The global buffer holds a layer's inputs and its output at the same time (chips whose activations live in
  // per-tile memories check those instead: planDataflow, sim/timing/dataflow.h).
  const SramCore sram(chip.sram);
  m.spillBitsOfStep.assign(program.steps.size(), 0);
  const bool tileMemories = chip.tile.memoryBytes > 0 && !m.timeMultiplexed();
  for (size_t s = 0; s < program.steps.size() && !tileMemories; ++s) {
    const auto& step = program.steps[s];
    if (step.kind == wl::StepKind::Reshape) continue;  // a view: nothing stored
    std::uint64_t values = static_cast<std::uint64_t>(wl::numel(step.outShape));
    for (int b : step.inputs) values += static_cast<std::uint64_t>(wl::numel(program.buffers[b]));
    const std::uint64_t bits = values * static_cast<std::uint64_t>(chip.sram.activationBits);
    m.spillBitsOfStep[s] = sram.spillBits(bits, fmt::format("{}: layer '{}'", program.modelPath, step.name));
  }
  return m;
}

}  // namespace mxsim
