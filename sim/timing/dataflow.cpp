#include "sim/timing/dataflow.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <set>

#include "sim/core/error.h"

namespace mxsim {

namespace {

/// Total length of the union of half-open ranges [start, start + len).
std::uint64_t unionLength(std::vector<std::pair<int, int>> ranges) {
  std::sort(ranges.begin(), ranges.end());
  std::uint64_t total = 0;
  long end = -1;
  for (const auto& [s, len] : ranges) {
    const long a = std::max<long>(s, end), b = static_cast<long>(s) + len;
    if (b > a) total += static_cast<std::uint64_t>(b - a);
    end = std::max(end, b);
  }
  return total;
}

bool samePlaces(const std::vector<Placement>& a, const std::vector<Placement>& b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (a[i].tile != b[i].tile || a[i].share != b[i].share) return false;
  return true;
}

bool isWindowStep(const wl::Step& s) {
  return (s.kind == wl::StepKind::AnalogGemm && s.isConv) || s.kind == wl::StepKind::MaxPool ||
         s.kind == wl::StepKind::AvgPool;
}

/// Fraction of positions along one axis that a window with `kernel` taps `dilation` apart, placed every
/// `stride`, reads: the residues mod stride its taps hit, over stride (1 when the windows cover every position).
double readFraction(int kernel, int dilation, int stride) {
  stride = std::max(1, stride);
  std::vector<bool> hit(static_cast<std::size_t>(stride), false);
  int n = 0;
  for (int j = 0; j < kernel && n < stride; ++j) {
    const auto r = static_cast<std::size_t>((static_cast<long>(j) * std::max(1, dilation)) % stride);
    if (!hit[r]) {
      hit[r] = true;
      ++n;
    }
  }
  return static_cast<double>(n) / stride;
}

bool isRowwiseStep(const wl::Step& s) {
  switch (s.kind) {
    case wl::StepKind::Activation:
    case wl::StepKind::Binary:
    case wl::StepKind::Affine:
    case wl::StepKind::Reshape: return true;
    case wl::StepKind::AnalogGemm: return !s.isConv;  // dense over the last axis keeps rows apart
    default: return false;
  }
}
}  // namespace

/// The engine's view of denoiser block `id`: C×H×W from its first step's input, Cr from its first GEMM.
DenoiserBlockShape denoiserBlockShape(const wl::Program& p, int id, DenoiserMode mode) {
  DenoiserBlockShape s;
  s.mode = mode;
  for (const auto& st : p.steps) {
    if (st.denoiserBlock != id) continue;
    if (s.channels == 0) {
      const wl::Shape& in = st.inShape;
      s.channels = static_cast<int>(in.empty() ? 1 : in[0]);
      s.height = static_cast<int>(in.size() > 1 ? in[1] : 1);
      s.width = static_cast<int>(in.size() > 2 ? in[2] : 1);
    }
    if (s.reducedChannels == 0 && st.kind == wl::StepKind::AnalogGemm) s.reducedChannels = static_cast<int>(st.weight.cols());
  }
  if (s.reducedChannels == 0) s.reducedChannels = std::max(1, s.channels);
  return s;
}

std::unique_ptr<DenoiserCore> makeDenoiserEngine(const wl::Program& program, const ChipParams& chip,
                                                 std::map<int, std::size_t>& firstStep) {
  const bool blocks = std::any_of(program.steps.begin(), program.steps.end(),
                                  [](const wl::Step& s) { return s.unit() == wl::Unit::Denoiser; });
  if (blocks && chip.denoiserPresence == DenoiserPresence::Off)
    throw ConfigError(fmt::format("{}: the model has denoiser blocks but chip.denoiser.present is 'no'",
                                  program.modelPath));
  if (!blocks && chip.denoiserPresence != DenoiserPresence::On) return nullptr;
  auto core = std::make_unique<DenoiserCore>(chip.denoiser);
  std::vector<DenoiserBlockShape> shapes;
  std::vector<std::string> names;
  for (std::size_t k = 0; k < program.steps.size(); ++k) {
    const int id = program.steps[k].denoiserBlock;
    if (id >= 0 && firstStep.emplace(id, k).second) {
      shapes.push_back(denoiserBlockShape(program, id, chip.denoiser.mode));
      names.push_back(fmt::format("{}: denoiser block {}", program.modelPath, id));
    }
  }
  core->requireFits(shapes, names);
  return core;
}

int tensorRows(const wl::Shape& s) {
  return s.size() == 3 ? static_cast<int>(std::max<std::int64_t>(1, s[1])) : 1;
}

int DataflowEdge::lastNeeded(int r) const {
  switch (need) {
    case RowNeed::Same: return std::min(r, producerRows - 1);
    case RowNeed::Window: {
      const long v = static_cast<long>(r) * stride - padTop + span - 1;
      return static_cast<int>(std::clamp<long>(v, 0, producerRows - 1));
    }
    case RowNeed::All: break;
  }
  return producerRows - 1;
}

int DataflowEdge::firstNeeded(int r) const {
  switch (need) {
    case RowNeed::Same: return std::min(r, producerRows - 1);
    case RowNeed::Window: {
      const long v = static_cast<long>(r) * stride - padTop;
      return static_cast<int>(std::clamp<long>(v, 0, producerRows - 1));
    }
    case RowNeed::All: break;
  }
  return 0;
}

DataflowPlan planDataflow(const wl::Program& program, const ChipParams& chip, const Mapping& mapping,
                          const std::vector<bool>& signedInputs) {
  DataflowPlan plan;
  plan.signedInputs = signedInputs;
  const auto act = static_cast<std::uint64_t>(chip.sram.activationBits);
  const ArrayCore arrayCore(chip.array, chip.deviceNoise);
  std::vector<int> producer(program.buffers.size(), -1);
  for (std::size_t s = 0; s < program.steps.size(); ++s)
    producer[static_cast<std::size_t>(program.steps[s].output)] = static_cast<int>(s);
  plan.inputRows = tensorRows(program.buffers[static_cast<std::size_t>(program.input)]);
  plan.inputRowBits = ceilDivU(static_cast<std::uint64_t>(wl::numel(program.buffers[static_cast<std::size_t>(program.input)])) * act,
                               static_cast<std::uint64_t>(plan.inputRows));
  plan.outputStep = producer[static_cast<std::size_t>(program.output)];
  std::set<int> blocksSeen;

  for (std::size_t si = 0; si < program.steps.size(); ++si) {
    const wl::Step& st = program.steps[si];
    DataflowStep d;
    d.step = static_cast<int>(si);
    d.rows = tensorRows(st.outShape);
    d.outRowBits = ceilDivU(static_cast<std::uint64_t>(wl::numel(st.outShape)) * act, static_cast<std::uint64_t>(d.rows));
    d.layer = mapping.layerOfStep[si];
    d.view = st.kind == wl::StepKind::Reshape;
    if (st.unit() == wl::Unit::Denoiser) {
      if (blocksSeen.insert(st.denoiserBlock).second) d.denoiserRunner = true;
      else d.denoiserPassive = true;
    }
    const LayerMapping* lm = d.layer >= 0 ? &mapping.layers[static_cast<std::size_t>(d.layer)] : nullptr;
    // Placements: copies of an analog layer make their share of each row on their lead tile; digital steps
    // and views inherit their (last) producer's.
    // The producer written last (in program order) is the one the step waits for: it runs next to it. A step
    // fed by the graph input alone sits at the chip site (a view) or on tile 0 (work needs a tile's unit).
    if (lm) {
      const auto v = ceilDivU(static_cast<std::uint64_t>(st.vectorsPerImage()), static_cast<std::uint64_t>(d.rows));
      for (int r = 0; r < lm->replicas; ++r)
        if (const std::uint64_t mine = lm->copyVectors(v, r))
          d.places.push_back({lm->replicaBlock(r, 0).tile, static_cast<double>(mine) / static_cast<double>(v)});
    } else if (st.unit() == wl::Unit::Denoiser) {
      d.places.push_back({kChipSite, 1.0});
    } else {
      int last = -1;
      for (int b : st.inputs) last = std::max(last, producer[static_cast<std::size_t>(b)]);
      if (last >= 0) d.places = plan.steps[static_cast<std::size_t>(last)].places;
      else d.places.push_back({kChipSite, 1.0});
      if (!d.view)
        for (Placement& pl : d.places)
          if (pl.tile == kChipSite) pl.tile = 0;
    }
    d.site = d.places.front().tile;

    // Tiles an analog step's input is stored on, and the share of each input row each one holds: the input
    // channels of its arrays' rows (K ranges) and, when copies split a row's output positions, the input
    // columns its copy's positions read: ((n − 1)·stride + kernel) of the row's W columns.
    std::map<std::pair<int, int>, std::vector<std::pair<int, int>>> rowRangesOf;  // (tile, copy) -> K ranges
    double columnShare = 1.0;
    if (lm) {
      for (int r = 0; r < lm->replicas; ++r)
        for (std::size_t i = 0; i < lm->blocks.size(); ++i) {
          const ArrayBlock& b = lm->replicaBlock(r, i);
          rowRangesOf[{b.tile, r}].push_back({b.rowStart, b.rows});
        }
      if (lm->replicas > 1 && st.isConv && st.window.inW > 0) {
        const auto n = static_cast<double>(ceilDivU(ceilDivU(static_cast<std::uint64_t>(st.vectorsPerImage()),
                                                             static_cast<std::uint64_t>(d.rows)),
                                                    static_cast<std::uint64_t>(lm->replicas)));
        const double span = (n - 1) * std::max(1, st.window.strideW) + (st.window.kernelW - 1) * std::max(1, st.window.dilationW) + 1;
        columnShare = std::min(1.0, span / st.window.inW);
      }
    }

    for (int b : st.inputs) {
      DataflowEdge e;
      e.buffer = b;
      e.producer = producer[static_cast<std::size_t>(b)];
      const wl::Shape& shape = program.buffers[static_cast<std::size_t>(b)];
      e.producerRows = tensorRows(shape);
      e.rowBits = ceilDivU(static_cast<std::uint64_t>(wl::numel(shape)) * act, static_cast<std::uint64_t>(e.producerRows));
      if (isWindowStep(st) && st.window.inH == e.producerRows && shape.size() == 3) {
        e.need = RowNeed::Window;
        e.stride = std::max(1, st.window.strideH);
        e.padTop = st.window.padTop;
        e.span = (st.window.kernelH - 1) * std::max(1, st.window.dilationH) + 1;
        // A kernel that skips positions (kernel taps at j·dilation, windows every stride) reads only the rows
        // and columns whose offset mod stride some tap hits (and no row below the last window): those alone
        // are sent and stored. Columns: the fraction of residues hit.
        e.readColumns = readFraction(st.window.kernelW, st.window.dilationW, st.window.strideW);
        if (readFraction(st.window.kernelH, st.window.dilationH, st.window.strideH) < 1.0 ||
            e.lastNeeded(d.rows - 1) < e.producerRows - 1) {
          e.rowRead.assign(static_cast<std::size_t>(e.producerRows), false);
          for (int r = 0; r < d.rows; ++r)
            for (int j = 0; j < st.window.kernelH; ++j) {
              const long row = static_cast<long>(r) * e.stride - e.padTop + static_cast<long>(j) * std::max(1, st.window.dilationH);
              if (row >= 0 && row < e.producerRows) e.rowRead[static_cast<std::size_t>(row)] = true;
            }
        }
      } else if (isRowwiseStep(st) && shape.size() == 3 && st.outShape.size() == 3 && shape[1] == st.outShape[1] &&
                 st.unit() != wl::Unit::Denoiser) {
        e.need = RowNeed::Same;
      } else {
        e.need = RowNeed::All;
      }
      // The rows one output row reads at once; more (from the capacity left over) let the producer run ahead.
      // Layer by layer (sequential schedule), a consumer starts only once the whole input is stored.
      if (chip.schedule == Schedule::Sequential) e.minSlots = static_cast<std::uint64_t>(e.producerRows);
      else switch (e.need) {
        case RowNeed::Same: e.minSlots = 1; break;
        case RowNeed::Window: e.minSlots = static_cast<std::uint64_t>(std::min(e.producerRows, e.span)); break;
        case RowNeed::All: e.minSlots = static_cast<std::uint64_t>(e.producerRows); break;
      }
      // A digital step next to the producer of this input (same tile) takes its rows from the producer's
      // output path as they leave (ISAAC's sigmoid, max-pool and shift-and-add units sit there): no storage.
      // A global average pool accumulates one sum per channel as rows pass: it too keeps no rows.
      const bool streaming = e.need != RowNeed::All || st.kind == wl::StepKind::GlobalAvgPool;
      const bool outputPath = !lm && st.unit() != wl::Unit::Denoiser && e.producer >= 0 && streaming &&
                              !plan.steps[static_cast<std::size_t>(e.producer)].view && d.site >= 0 &&
                              samePlaces(plan.steps[static_cast<std::size_t>(e.producer)].places, d.places);
      if (d.view || d.denoiserPassive || outputPath) {
        // Reads its producer's rows in place (a view), inside the engine (a block's later steps), or straight
        // from the producer's output path (a fused activation or pooling unit on the producer's tile).
      } else if (st.unit() == wl::Unit::Denoiser) {
        e.tiles.push_back(kChipSite);  // the engine's own input buffer (DenoiserCore::requireFits)
        e.bitsPerRow.push_back(e.rowBits);
        e.columns.push_back({0.0, 1.0});
      } else if (lm) {
        const auto k = static_cast<std::uint64_t>(std::max<Eigen::Index>(1, st.weight.rows()));
        struct Stored {
          double bits = 0, lo = 1.0, hi = 0.0;
        };
        std::map<int, Stored> share;  // tile -> bits of each row it stores, and the columns they cover
        const double copies = static_cast<double>(lm->replicas);
        for (const auto& [key, ranges] : rowRangesOf) {
          Stored& x = share[key.first];
          x.bits += static_cast<double>(e.rowBits) * static_cast<double>(std::min(k, unionLength(ranges))) /
                    static_cast<double>(k) * columnShare * e.readColumns;
          x.lo = std::min(x.lo, lm->replicas > 1 ? key.second / copies : 0.0);
          x.hi = std::max(x.hi, lm->replicas > 1 ? (key.second + 1) / copies : 1.0);
        }
        for (const auto& [tile, x] : share) {
          e.tiles.push_back(tile);
          e.bitsPerRow.push_back(static_cast<std::uint64_t>(std::ceil(x.bits)));
          e.columns.push_back({x.lo, x.hi});
        }
      } else {
        double lo = 0;
        for (const Placement& pl : d.places) {  // each copy's share of the row, where it is worked on
          e.tiles.push_back(pl.tile);
          e.bitsPerRow.push_back(
              static_cast<std::uint64_t>(std::ceil(static_cast<double>(e.rowBits) * pl.share * e.readColumns)));
          e.columns.push_back({lo, lo + pl.share});
          lo += pl.share;
        }
      }
      d.inputs.push_back(std::move(e));
    }

    if (lm) {
      const int passes = arrayCore.dac().passCount(signedInputs.at(static_cast<std::size_t>(d.layer)));
      const auto vectors = static_cast<std::uint64_t>(st.vectorsPerImage());
      d.vectorsPerRow = ceilDivU(vectors, static_cast<std::uint64_t>(d.rows));
      d.vectorsPerCopy = ceilDivU(d.vectorsPerRow, static_cast<std::uint64_t>(lm->replicas));
      d.replicas = lm->replicas;
      std::map<int, TileRowWork> work;
      // Per (tile, copy): the distinct K rows its arrays read and the columns it holds partial sums of.
      std::map<std::pair<int, int>, std::vector<std::pair<int, int>>> ranges, colRanges;
      std::vector<std::vector<int>> copyTiles(static_cast<std::size_t>(lm->replicas));  // lead first
      std::map<std::pair<int, int>, std::uint64_t> blockCols;  // (tile, copy) -> Σ columns of its slice-0 blocks
      for (int r = 0; r < lm->replicas; ++r)
        for (std::size_t i = 0; i < lm->blocks.size(); ++i) {
          const ArrayBlock& b = lm->replicaBlock(r, i);
          const StageCycles c = arrayCore.cyclesPerVector(b.cols, passes);
          d.arrayLatency = std::max(d.arrayLatency, c.latency());
          d.arrayInterval = std::max(d.arrayInterval, c.interval());
          ranges[{b.tile, r}].push_back({b.rowStart, b.rows});
          work[b.tile].tile = b.tile;
          auto& ct = copyTiles[static_cast<std::size_t>(r)];
          if (std::find(ct.begin(), ct.end(), b.tile) == ct.end()) ct.push_back(b.tile);
          // Slices and passes merge in the tile's shift-and-add: one partial sum per (row block, column).
          if (b.slice == 0) {
            colRanges[{b.tile, r}].push_back({b.colStart, b.cols});
            blockCols[{b.tile, r}] += static_cast<std::uint64_t>(b.cols);
          }
        }
      const auto psum = static_cast<std::uint64_t>(chip.tile.partialSumBits);
      for (int r = 0; r < lm->replicas; ++r) {
        const auto& ct = copyTiles[static_cast<std::size_t>(r)];
        const std::uint64_t n = lm->copyVectors(d.vectorsPerRow, r);
        std::vector<std::uint64_t> cols;  // distinct columns each tile holds of this copy
        for (int t : ct) {
          cols.push_back(unionLength(colRanges[{t, r}]));
          work[t].localAdds += n * (blockCols[{t, r}] - cols.back());  // row blocks on the same tile
        }
        for (std::size_t span = 1, level = 0; span < ct.size(); span *= 2, ++level) {
          if (d.reduction.size() <= level) d.reduction.emplace_back();
          for (std::size_t i = span; i < ct.size(); i += 2 * span) {
            std::uint64_t subtree = 0;  // columns of the partial sums tiles i .. i + span − 1 have merged
            for (std::size_t j = i; j < std::min(ct.size(), i + span); ++j) subtree += cols[j];
            subtree = std::min<std::uint64_t>(subtree, static_cast<std::uint64_t>(st.weight.cols()));
            d.reduction[level].push_back({ct[i], ct[i - span], n * subtree * psum, n * subtree});
          }
        }
      }
      // A sliding-window input register: a conv's next vector shifts in only stride_w / kernel_w of its inputs.
      const double newFraction =
          st.isConv ? std::min(1.0, static_cast<double>(std::max(1, st.window.strideW)) / std::max(1, st.window.kernelW))
                    : 1.0;
      for (const auto& [key, rs] : ranges) {
        const std::uint64_t rows = unionLength(rs);
        const auto later = static_cast<std::uint64_t>(std::ceil(static_cast<double>(rows) * newFraction));
        work[key.first].memoryReadBits +=
            (rows + (d.vectorsPerCopy ? d.vectorsPerCopy - 1 : 0) * later) * act;
      }
      for (auto& [t, w] : work) d.tiles.push_back(w);
      // The array actions of one image: each copy's share of the layer's vectors through its blocks.
      for (int r = 0; r < lm->replicas; ++r) {
        const std::uint64_t share = lm->copyVectors(vectors, r);
        for (std::size_t i = 0; i < lm->blocks.size(); ++i) {
          const ArrayBlock& b = lm->replicaBlock(r, i);
          const ArrayActions a = arrayCore.actionsPerVector(b.rows, b.cols, passes);
          d.imageActions.dacConversions += share * a.dacConversions;
          d.imageActions.cellReads += share * a.cellReads;
          d.imageActions.adcConversions += share * a.adcConversions;
        }
      }
      for (const Pack& p : lm->packs) {  // shift-and-add merging slices and passes, per row block and column
        d.imageShiftAdds += vectors * static_cast<std::uint64_t>(p.cols) * static_cast<std::uint64_t>(p.rowBlocks) *
                            (static_cast<std::uint64_t>(lm->slices) * static_cast<std::uint64_t>(passes) - 1);
        d.imageOutputBufferBits +=
            vectors * static_cast<std::uint64_t>(p.cols) * static_cast<std::uint64_t>(p.rowBlocks) * psum;
      }
      if (chip.tile.outputRegisterBytes > 0)
        d.imageOutputRegisterBits = vectors * static_cast<std::uint64_t>(st.weight.cols()) * psum;
      const bool offset = arrayCore.dac().offsetScale(signedInputs.at(static_cast<std::size_t>(d.layer))) != 0.0f;
      std::uint64_t addsPerVector = 0;
      for (const Pack& p : lm->packs)
        addsPerVector += static_cast<std::uint64_t>(p.cols) * (static_cast<std::uint64_t>(p.rowBlocks) - 1 + (offset ? 1 : 0));
      d.digitalAddsPerRow = d.vectorsPerRow * addsPerVector;
      d.leadAddsPerRow = offset ? d.vectorsPerRow * static_cast<std::uint64_t>(st.weight.cols()) : 0;
      d.digitalOpsPerRow = 2 * d.vectorsPerRow * static_cast<std::uint64_t>(st.weight.cols());
    } else if (!d.view && st.unit() != wl::Unit::Denoiser) {
      const wl::DigitalWork w = st.digitalWork();
      d.digitalActions = digitalActionsOf(st);
      d.digitalAddsPerRow = ceilDivU(w.adds, static_cast<std::uint64_t>(d.rows));
      d.digitalOpsPerRow = ceilDivU(w.ops, static_cast<std::uint64_t>(d.rows));
      d.memoryReadBitsPerRow = 0;  // inputs held in this tile's memory are read once per output row
      for (const DataflowEdge& e : d.inputs)
        if (!e.tiles.empty())
          d.memoryReadBitsPerRow += static_cast<std::uint64_t>(std::ceil(static_cast<double>(e.rowBits) * e.readColumns)) *
                                    (e.need == RowNeed::All ? static_cast<std::uint64_t>(e.producerRows) : 1);
    }
    plan.steps.push_back(std::move(d));
  }

  // Rows a consumer may have to hold for a join not to deadlock: g_b[r] is the last graph-input row that row r
  // of buffer b depends on (through every path). While a step works on output row r, the input has reached at
  // least g_out[r]; a producer of its input b can then have made every row r' with g_b[r'] <= g_out[r], and the
  // step still holds rows from firstNeeded(r) on. (A residual skip input waits for the main path's lag.)
  std::vector<std::vector<int>> g(program.buffers.size());
  {
    auto& gin = g[static_cast<std::size_t>(program.input)];
    gin.resize(static_cast<std::size_t>(plan.inputRows));
    for (int r = 0; r < plan.inputRows; ++r) gin[static_cast<std::size_t>(r)] = r;
  }
  for (DataflowStep& d : plan.steps) {
    const wl::Step& st = program.steps[static_cast<std::size_t>(d.step)];
    auto& gout = g[static_cast<std::size_t>(st.output)];
    gout.assign(static_cast<std::size_t>(d.rows), 0);
    for (const DataflowEdge& e : d.inputs) {
      const auto& gb = g[static_cast<std::size_t>(e.buffer)];
      if (gb.empty()) continue;  // an initializer-only input
      for (int r = 0; r < d.rows; ++r) {
        const int need = std::min(e.lastNeeded(r), static_cast<int>(gb.size()) - 1);
        gout[static_cast<std::size_t>(r)] = std::max(gout[static_cast<std::size_t>(r)], gb[static_cast<std::size_t>(need)]);
      }
    }
    for (DataflowEdge& e : d.inputs) {
      const auto& gb = g[static_cast<std::size_t>(e.buffer)];
      if (gb.empty() || d.inputs.size() < 2) continue;
      std::uint64_t held = e.minSlots;
      int ahead = 0;  // last producer row made by the time output row r is worked on
      for (int r = 0; r < d.rows; ++r) {
        while (ahead + 1 < static_cast<int>(gb.size()) && gb[static_cast<std::size_t>(ahead + 1)] <= gout[static_cast<std::size_t>(r)]) ++ahead;
        const int first = e.firstNeeded(r);
        if (ahead >= first) held = std::max<std::uint64_t>(held, static_cast<std::uint64_t>(ahead - first + 1));
      }
      e.minSlots = std::min<std::uint64_t>(held, static_cast<std::uint64_t>(e.producerRows));
    }
  }

  // Capacity: every tile memory must hold, at once, the rows each of its stored inputs needs for one output
  // row (plus the one arriving). What is left is shared out equally among those inputs as extra rows, so a
  // producer can run ahead of its consumer (e.g. the skip path of a residual block) until they fill up.
  plan.tileCapacityBits = static_cast<std::uint64_t>(chip.tile.memoryBytes * 8.0);
  plan.tileMinBits.assign(static_cast<std::size_t>(chip.tiles), 0);
  std::vector<int> edgesOnTile(static_cast<std::size_t>(chip.tiles), 0);
  for (const DataflowStep& d : plan.steps)
    for (const DataflowEdge& e : d.inputs)
      for (std::size_t k = 0; k < e.tiles.size(); ++k)
        if (e.tiles[k] >= 0) {
          plan.tileMinBits[static_cast<std::size_t>(e.tiles[k])] += e.minSlots * e.bitsPerRow[k];
          ++edgesOnTile[static_cast<std::size_t>(e.tiles[k])];
        }
  for (int t = 0; t < chip.tiles; ++t) {
    const std::uint64_t need = plan.tileMinBits[static_cast<std::size_t>(t)];
    if (need <= plan.tileCapacityBits) continue;
    std::string what;
    for (const DataflowStep& d : plan.steps)
      for (const DataflowEdge& e : d.inputs)
        for (std::size_t k = 0; k < e.tiles.size(); ++k)
          if (e.tiles[k] == t)
            what += fmt::format("{}'{}' input {} rows x {} B", what.empty() ? "" : ", ",
                                program.steps[static_cast<std::size_t>(d.step)].name, e.minSlots,
                                ceilDivU(e.bitsPerRow[k], 8));
    throw MappingError(fmt::format(
        "{}: tile {}'s activation memory (chip.tile.memory = {} B) cannot hold the rows its layers need at once "
        "({} B: {}); raise chip.tile.memory to at least {} B",
        program.modelPath, t, static_cast<std::uint64_t>(chip.tile.memoryBytes), ceilDivU(need, 8), what,
        ceilDivU(need, 8)));
  }
  for (DataflowStep& d : plan.steps)
    for (DataflowEdge& e : d.inputs) {
      if (e.tiles.empty()) continue;  // a view: no storage of its own
      std::uint64_t extra = std::numeric_limits<std::uint64_t>::max();
      bool onTile = false;
      for (std::size_t k = 0; k < e.tiles.size(); ++k) {
        const int t = e.tiles[k];
        if (t < 0 || e.bitsPerRow[k] == 0) continue;
        onTile = true;
        const std::uint64_t left = plan.tileCapacityBits - plan.tileMinBits[static_cast<std::size_t>(t)];
        extra = std::min(extra, left / static_cast<std::uint64_t>(edgesOnTile[static_cast<std::size_t>(t)]) / e.bitsPerRow[k]);
      }
      if (!onTile) continue;  // the denoiser engine's buffer: checked by DenoiserCore::requireFits
      // Room for the rows of the next output row (double buffering): a window op's next `stride` rows plus the
      // one arriving, an elementwise op's next row, a whole-input op's next image. More would only let a
      // producer run ahead and flood the interconnect (links serve in request order).
      // A join's input (a residual skip) takes what is left, up to an image: its producer must run ahead by
      // the other path's latency in rows, or the two paths advance in lock step.
      const std::uint64_t ahead = d.inputs.size() > 1          ? static_cast<std::uint64_t>(e.producerRows)
                                  : e.need == RowNeed::Window ? static_cast<std::uint64_t>(e.stride) + 1
                                  : e.need == RowNeed::Same   ? 1
                                                              : static_cast<std::uint64_t>(e.producerRows);
      e.slots = e.minSlots + std::min(extra, ahead);
    }
  return plan;
}

}  // namespace mxsim
