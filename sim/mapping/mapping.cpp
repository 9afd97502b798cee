#include "sim/mapping/mapping.h"

#include <fmt/format.h>

#include <algorithm>

#include "sim/core/error.h"

namespace mxsim {

Mapping mapProgram(const wl::Program& program, const ChipParams& chip) {
  Mapping m;
  m.arraysAvailable = chip.totalArrays();
  m.layerOfStep.assign(program.steps.size(), -1);
  const int R = chip.array.xbar.rows, C = chip.array.xbar.cols;
  int next = 0;
  for (size_t s = 0; s < program.steps.size(); ++s) {
    const auto& step = program.steps[s];
    if (step.kind != wl::StepKind::AnalogGemm) continue;
    LayerMapping lm;
    lm.step = static_cast<int>(s);
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
            b.arrayIndex = next++;
            b.tile = b.arrayIndex / chip.arraysPerTile;
            b.slot = b.arrayIndex % chip.arraysPerTile;
            lm.blocks.push_back(b);
          }
        }
      }
      lm.rowBlocks += p.rowBlocks;
      lm.colBlocks = std::max(lm.colBlocks, p.colBlocks);
      lm.packs.push_back(p);
    }
    lm.utilisation = static_cast<double>(kg) * N * lm.slices / (static_cast<double>(lm.blocks.size()) * R * C);
    m.layerOfStep[s] = static_cast<int>(m.layers.size());
    m.layers.push_back(std::move(lm));
  }
  m.arraysUsed = next;
  if (m.arraysUsed > m.arraysAvailable) {
    throw MappingError(fmt::format(
        "{}: the model needs {} arrays of {}x{} but the chip has {} ({} tiles x {} arrays); raise chip.tiles "
        "to at least {} or use larger arrays",
        program.modelPath, m.arraysUsed, R, C, m.arraysAvailable, chip.tiles, chip.arraysPerTile,
        (m.arraysUsed + chip.arraysPerTile - 1) / chip.arraysPerTile));
  }
  // The global buffer holds a layer's inputs and its output at the same time.
  const SramCore sram(chip.sram);
  m.spillBitsOfStep.assign(program.steps.size(), 0);
  for (size_t s = 0; s < program.steps.size(); ++s) {
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
