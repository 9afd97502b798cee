// Contract: ConfigReader reads one YAML mapping into validated values. Every get*() declares a parameter
// once (key, default, range, unit, meaning, source); finish() rejects keys nobody asked for, so a typo
// never silently runs the default. Declarations are also recorded in a ParamRegistry for docs/.
#pragma once
#include <yaml-cpp/yaml.h>

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "sim/core/units.h"

namespace mxsim {

/// One documented parameter, as declared in code.
struct ParamDoc {
  std::string path;      // dotted key path, e.g. chip.tile.array.adc.bits
  std::string unit;      // "bits", "J", "-" (dimensionless), ...
  std::string defaultText;
  std::string range;     // allowed values
  std::string meaning;   // one line
  std::string source;    // literature source of the default, or "" for a modelling choice
};

class ParamRegistry {
 public:
  void add(ParamDoc d);
  const std::vector<ParamDoc>& docs() const { return m_docs; }
  /// Markdown table of every declared parameter (docs/config.md is generated from this).
  std::string markdown() const;

 private:
  std::vector<ParamDoc> m_docs;
};

/// Text that documents a default's provenance.
struct Source {
  const char* text = "";
};

class ConfigReader {
 public:
  /// `node` may be undefined/null (all defaults). `path` is the dotted location for messages.
  ConfigReader(YAML::Node node, std::string path, ParamRegistry* registry = nullptr);

  std::int64_t getInt(const std::string& key, std::int64_t def, std::int64_t min, std::int64_t max,
                      const char* meaning, const char* unit = "-", Source src = {});
  double getReal(const std::string& key, double def, double min, double max, const char* meaning,
                 Source src = {});
  /// A quantity with a unit string; returns SI units. `def` is in SI units.
  double getQuantity(const std::string& key, Dimension dim, double def, double min, double max,
                     const char* meaning, Source src = {});
  /// A quantity whose default is derived by a model rather than a fixed number: returns the value when the
  /// key is present, std::nullopt when absent. `derivedDefault` is what docs/config.md shows as the default.
  std::optional<double> getOptionalQuantity(const std::string& key, Dimension dim, const char* derivedDefault,
                                            double min, double max, const char* meaning, Source src = {});
  bool getBool(const std::string& key, bool def, const char* meaning);
  std::string getString(const std::string& key, const std::string& def, const char* meaning);
  /// A choice mapped straight to an enum value: each allowed name listed once beside its value.
  template <class E>
  E getEnum(const std::string& key, const std::string& def, const std::vector<std::pair<std::string, E>>& choices,
            const char* meaning, Source src = {}) {
    std::vector<std::string> names;
    for (const auto& c : choices) names.push_back(c.first);
    const std::string chosen = getChoice(key, def, names, meaning, src);
    for (const auto& c : choices) {
      if (c.first == chosen) return c.second;
    }
    return choices.front().second;  // unreachable: getChoice accepted only listed names
  }
  /// A mapping of free-form names to numbers (e.g. per-layer overrides); each value range-checked.
  /// The same, with the default given as the value (the struct's own default, declared once there).
  template <class E>
  E getEnum(const std::string& key, E def, const std::vector<std::pair<std::string, E>>& choices, const char* meaning,
            Source src = {}) {
    for (const auto& c : choices)
      if (c.second == def) return getEnum<E>(key, c.first, choices, meaning, src);
    return getEnum<E>(key, choices.front().first, choices, meaning, src);  // a default outside the choices: a bug
  }
  std::map<std::string, double> getRealMap(const std::string& key, double min, double max, const char* meaning);
  std::string getChoice(const std::string& key, const std::string& def, const std::vector<std::string>& choices,
                        const char* meaning, Source src = {});

  /// A nested mapping (absent → all defaults).
  ConfigReader child(const std::string& key);
  /// Whether the document sets `key` here (a value given, not the declared default).
  bool given(const std::string& key) const {
    return m_node.IsDefined() && m_node.IsMap() && m_node[key].IsDefined() && !m_node[key].IsNull();
  }
  /// Throws ConfigError if the node holds keys that no get*/child call asked for.
  /// This section's unknown keys: any key given here that no get*() or child() asked for is an error naming it.
  void finish() const;
  /// The whole document's unknown keys, once at the root (VCML's "unused property" rule): every key given
  /// anywhere in the document that no reader of this tree (this reader and the children it made, at any
  /// depth) asked for is an error naming its full path, whether or not each section called finish().
  void finishDocument() const;

  const std::string& path() const { return m_path; }
  std::string keyPath(const std::string& key) const { return m_path.empty() ? key : m_path + "." + key; }

 private:
  YAML::Node lookup(const std::string& key);
  /// The quantity node `n` (of `key`) in SI units, range-checked; ConfigErrors name the key.
  double quantityIn(const YAML::Node& n, const std::string& key, Dimension dim, double min, double max) const;
  void document(const std::string& key, std::string unit, std::string def, std::string range,
                const char* meaning, Source src);

  /// Key paths asked for by the readers of one document: values (leaves) and the sections read as children.
  struct Usage {
    std::set<std::string> asked, sections;
  };
  ConfigReader(YAML::Node node, std::string path, ParamRegistry* registry, std::shared_ptr<Usage> usage);
  void checkSection(const YAML::Node& node, const std::string& path) const;

  YAML::Node m_node;
  std::string m_path;
  ParamRegistry* m_registry;
  std::set<std::string> m_used;
  std::shared_ptr<Usage> m_usage;
};

/// Largest architecture file accepted: presets are a few KiB, and yaml-cpp needs ~45 bytes of memory and
/// 3 µs per byte of input, so a cap keeps a wrong file (a dataset, a log) from stalling the run.
inline constexpr std::size_t kMaxYamlBytes = std::size_t{1} << 20;

/// Most YAML nodes an architecture document may hold, counting each use of an alias as the nodes it stands for
/// (presets hold a few hundred): bounds the work of every reader, whatever anchors and aliases a file nests.
inline constexpr std::size_t kMaxYamlNodes = 100000;

/// Whether `s` is well-formed UTF-8 (no overlong forms, surrogates or code points beyond U+10FFFF).
bool isValidUtf8(const std::string& s);

/// Parse a YAML file; throws ConfigError naming the file on I/O or syntax errors, a directory, an empty
/// document, a document that is not a mapping, or a file larger than kMaxYamlBytes.
YAML::Node loadYamlFile(const std::string& file);

/// Apply "a.b.c=value" to a YAML tree (creating maps as needed); value is parsed as YAML scalar.
void applyOverride(YAML::Node& root, const std::string& assignment);

}  // namespace mxsim
