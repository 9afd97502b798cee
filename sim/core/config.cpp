#include "sim/core/config.h"

#include <fmt/format.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include "sim/core/error.h"
#include "sim/core/suggest.h"

namespace mxsim {

void ParamRegistry::add(ParamDoc d) {
  for (auto& existing : m_docs) {
    if (existing.path == d.path) {
      existing = std::move(d);
      return;
    }
  }
  m_docs.push_back(std::move(d));
}

std::string ParamRegistry::markdown() const {
  std::ostringstream os;
  os << "| key | unit | default | allowed | meaning | source |\n|---|---|---|---|---|---|\n";
  for (const auto& d : m_docs) {
    os << "| `" << d.path << "` | " << d.unit << " | `" << d.defaultText << "` | " << d.range << " | "
       << d.meaning << " | " << (d.source.empty() ? "modelling choice" : d.source) << " |\n";
  }
  return os.str();
}

bool isValidUtf8(const std::string& s) {
  std::size_t i = 0;
  while (i < s.size()) {
    const auto c = static_cast<unsigned char>(s[i]);
    std::size_t len = 0;
    std::uint32_t cp = 0;
    if (c < 0x80) len = 1, cp = c;
    else if ((c & 0xE0) == 0xC0) len = 2, cp = c & 0x1Fu;
    else if ((c & 0xF0) == 0xE0) len = 3, cp = c & 0x0Fu;
    else if ((c & 0xF8) == 0xF0) len = 4, cp = c & 0x07u;
    else return false;
    if (i + len > s.size()) return false;
    for (std::size_t k = 1; k < len; ++k) {
      const auto d = static_cast<unsigned char>(s[i + k]);
      if ((d & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (d & 0x3Fu);
    }
    // Overlong forms, UTF-16 surrogates and code points beyond U+10FFFF are not UTF-8.
    static constexpr std::uint32_t kMinOfLength[] = {0, 0, 0x80, 0x800, 0x10000};
    if (cp < kMinOfLength[len] || (cp >= 0xD800 && cp <= 0xDFFF) || cp > 0x10FFFF) return false;
    i += len;
  }
  return true;
}

namespace {
const char* kindOf(const YAML::Node& n) { return n.IsSequence() ? "a list" : n.IsMap() ? "a map" : "a scalar"; }

/// A finite number within [min, max] from YAML scalar text; `where` names the key in errors.
double parseReal(const std::string& text, const std::string& where, double min, double max) {
  double v = 0;
  try {
    size_t pos = 0;
    v = std::stod(text, &pos);
    if (pos != text.size()) throw std::invalid_argument("trailing");
  } catch (const std::exception&) {
    throw ConfigError(fmt::format("{}: '{}' is not a number (allowed {:g} … {:g})", where, text, min, max));
  }
  if (!std::isfinite(v) || v < min || v > max) {
    throw ConfigError(fmt::format("{}: value {:g} is out of range (allowed {:g} … {:g})", where, v, min, max));
  }
  return v;
}
}  // namespace

ConfigReader::ConfigReader(YAML::Node node, std::string path, ParamRegistry* registry)
    : ConfigReader(std::move(node), std::move(path), registry, std::make_shared<Usage>()) {}

ConfigReader::ConfigReader(YAML::Node node, std::string path, ParamRegistry* registry, std::shared_ptr<Usage> usage)
    : m_node(std::move(node)), m_path(std::move(path)), m_registry(registry), m_usage(std::move(usage)) {
  if (m_node.IsDefined() && !m_node.IsNull() && !m_node.IsMap()) {
    throw ConfigError(fmt::format("{}: expected a mapping of keys, got {}", m_path.empty() ? "<root>" : m_path,
                                  m_node.IsSequence() ? "a list" : "a scalar"));
  }
}

YAML::Node ConfigReader::lookup(const std::string& key) {
  m_used.insert(key);
  m_usage->asked.insert(keyPath(key));
  if (!m_node.IsDefined() || m_node.IsNull()) return YAML::Node(YAML::NodeType::Undefined);
  YAML::Node n = m_node[key];
  if (n.IsDefined() && n.IsNull()) {
    throw ConfigError(fmt::format("{}: key present but empty", keyPath(key)));
  }
  return n;
}

void ConfigReader::document(const std::string& key, std::string unit, std::string def, std::string range,
                            const char* meaning, Source src) {
  if (!m_registry) return;
  m_registry->add({keyPath(key), std::move(unit), std::move(def), std::move(range), meaning, src.text});
}

std::int64_t ConfigReader::getInt(const std::string& key, std::int64_t def, std::int64_t min, std::int64_t max,
                                  const char* meaning, const char* unit, Source src) {
  document(key, unit, std::to_string(def), fmt::format("{} … {}", min, max), meaning, src);
  YAML::Node n = lookup(key);
  if (!n.IsDefined()) return def;
  if (!n.IsScalar()) throw ConfigError(fmt::format("{}: expected an integer, got {}", keyPath(key), kindOf(n)));
  const std::string& text = n.Scalar();
  std::int64_t v = 0;
  try {
    size_t pos = 0;
    v = std::stoll(text, &pos);
    if (pos != text.size()) throw std::invalid_argument("trailing");
  } catch (const std::exception&) {
    throw ConfigError(fmt::format("{}: '{}' is not an integer (allowed {} … {})", keyPath(key), text, min, max));
  }
  if (v < min || v > max) {
    throw ConfigError(fmt::format("{}: value {} is out of range (allowed {} … {})", keyPath(key), v, min, max));
  }
  return v;
}

double ConfigReader::getReal(const std::string& key, double def, double min, double max, const char* meaning,
                             Source src) {
  document(key, "-", fmt::format("{:g}", def), fmt::format("{:g} … {:g}", min, max), meaning, src);
  YAML::Node n = lookup(key);
  if (!n.IsDefined()) return def;
  if (!n.IsScalar()) throw ConfigError(fmt::format("{}: expected a number, got {}", keyPath(key), kindOf(n)));
  return parseReal(n.Scalar(), keyPath(key), min, max);
}

double ConfigReader::getQuantity(const std::string& key, Dimension dim, double def, double min, double max,
                                 const char* meaning, Source src) {
  document(key, unitSymbol(dim), formatQuantity(def, dim),
           fmt::format("{} … {}", formatQuantity(min, dim), formatQuantity(max, dim)), meaning, src);
  YAML::Node n = lookup(key);
  if (!n.IsDefined()) return def;
  return quantityIn(n, key, dim, min, max);
}

std::optional<double> ConfigReader::getOptionalQuantity(const std::string& key, Dimension dim,
                                                        const char* derivedDefault, double min, double max,
                                                        const char* meaning, Source src) {
  document(key, unitSymbol(dim), derivedDefault,
           fmt::format("{} … {}", formatQuantity(min, dim), formatQuantity(max, dim)), meaning, src);
  YAML::Node n = lookup(key);
  if (!n.IsDefined()) return std::nullopt;
  return quantityIn(n, key, dim, min, max);
}

double ConfigReader::quantityIn(const YAML::Node& n, const std::string& key, Dimension dim, double min,
                                double max) const {
  if (!n.IsScalar())
    throw ConfigError(
        fmt::format("{}: expected a quantity such as {}, got {}", keyPath(key), unitExample(dim), kindOf(n)));
  const double v = parseQuantity(n.Scalar(), dim, keyPath(key));
  if (v < min || v > max) {
    throw ConfigError(fmt::format("{}: value {} is out of range (allowed {} … {})", keyPath(key), n.Scalar(),
                                  formatQuantity(min, dim), formatQuantity(max, dim)));
  }
  return v;
}

bool ConfigReader::getBool(const std::string& key, bool def, const char* meaning) {
  document(key, "bool", def ? "true" : "false", "true, false", meaning, {});
  YAML::Node n = lookup(key);
  if (!n.IsDefined()) return def;
  if (!n.IsScalar()) throw ConfigError(fmt::format("{}: expected true or false, got {}", keyPath(key), kindOf(n)));
  const std::string t = n.Scalar();
  if (t == "true" || t == "on" || t == "yes") return true;
  if (t == "false" || t == "off" || t == "no") return false;
  throw ConfigError(fmt::format("{}: '{}' is not a boolean (allowed true, false)", keyPath(key), t));
}

std::string ConfigReader::getString(const std::string& key, const std::string& def, const char* meaning) {
  document(key, "text", def, "any", meaning, {});
  YAML::Node n = lookup(key);
  if (!n.IsDefined()) return def;
  if (!n.IsScalar()) throw ConfigError(fmt::format("{}: expected a text value, got {}", keyPath(key), kindOf(n)));
  // YAML is UTF-8; a stray byte would otherwise surface only when the report is written, after the whole run.
  if (!isValidUtf8(n.Scalar()))
    throw ConfigError(fmt::format("{}: the text is not valid UTF-8", keyPath(key)));
  return n.Scalar();
}

std::map<std::string, double> ConfigReader::getRealMap(const std::string& key, double min, double max,
                                                      const char* meaning) {
  document(key, "name: value", "{}", fmt::format("values {:g} … {:g}", min, max), meaning, {});
  YAML::Node n = lookup(key);
  std::map<std::string, double> out;
  if (!n.IsDefined()) return out;
  if (!n.IsMap()) throw ConfigError(fmt::format("{}: expected a mapping of names to numbers", keyPath(key)));
  for (const auto& kv : n) {
    if (!kv.first.IsScalar()) throw ConfigError(fmt::format("{}: a key must be a name, not a list or map", keyPath(key)));
    const std::string name = kv.first.Scalar();
    const std::string where = keyPath(key) + "." + name;
    const double v = parseReal(kv.second.IsScalar() ? kv.second.Scalar() : "<not a scalar>", where, min, max);
    out[name] = v;
  }
  return out;
}

std::string ConfigReader::getChoice(const std::string& key, const std::string& def,
                                    const std::vector<std::string>& choices, const char* meaning, Source src) {
  const std::string list = fmt::format("{}", fmt::join(choices, ", "));
  document(key, "choice", def, list, meaning, src);
  YAML::Node n = lookup(key);
  if (!n.IsDefined()) return def;
  if (!n.IsScalar())
    throw ConfigError(fmt::format("{}: expected one of ({}), got {}", keyPath(key), list, kindOf(n)));
  const std::string t = n.Scalar();
  for (const auto& c : choices) {
    if (c == t) return t;
  }
  throw ConfigError(fmt::format("{}: '{}' is not one of the allowed values ({})", keyPath(key), t, list));
}

ConfigReader ConfigReader::child(const std::string& key) {
  m_usage->sections.insert(keyPath(key));
  return ConfigReader(lookup(key), keyPath(key), m_registry, m_usage);
}

namespace {
/// One message for a key no reader asked for: its full path, a suggestion, and the keys read at that level.
ConfigError unknownKey(const std::string& path, const std::string& key, const std::vector<std::string>& known) {
  const std::string guess = closest(key, known);
  return ConfigError(fmt::format("{}: unknown key '{}'{} (known keys here: {})", path, key,
                                 guess.empty() ? std::string() : fmt::format("; did you mean '{}'?", guess),
                                 fmt::join(known, ", ")));
}
}  // namespace

void ConfigReader::finishDocument() const {
  if (m_node.IsDefined() && !m_node.IsNull()) checkSection(m_node, m_path);
}

void ConfigReader::checkSection(const YAML::Node& node, const std::string& path) const {
  auto full = [&](const std::string& k) { return path.empty() ? k : path + "." + k; };
  for (const auto& kv : node) {
    if (!kv.first.IsScalar())
      throw ConfigError(fmt::format("{}: a key must be a name, not a {}", path.empty() ? "<root>" : path,
                                    kv.first.IsSequence() ? "list" : "map"));
    const std::string k = full(kv.first.Scalar());
    if (!m_usage->asked.count(k)) {
      // The keys read at this level, for the message.
      std::vector<std::string> known;
      const std::string prefix = path.empty() ? "" : path + ".";
      for (const std::string& a : m_usage->asked)
        if (a.compare(0, prefix.size(), prefix) == 0 && a.find('.', prefix.size()) == std::string::npos)
          known.push_back(a.substr(prefix.size()));
      throw unknownKey(k, kv.first.Scalar(), known);
    }
    if (m_usage->sections.count(k) && kv.second.IsMap()) checkSection(kv.second, k);
  }
}

void ConfigReader::finish() const {
  if (!m_node.IsDefined() || m_node.IsNull()) return;
  for (const auto& kv : m_node) {
    if (!kv.first.IsScalar())
      throw ConfigError(fmt::format("{}: a key must be a name, not a {}", m_path.empty() ? "<root>" : m_path,
                                    kv.first.IsSequence() ? "list" : "map"));
    const std::string k = kv.first.Scalar();
    if (!m_used.count(k)) throw unknownKey(keyPath(k), k, std::vector<std::string>(m_used.begin(), m_used.end()));
  }
}

namespace {
/// A mapping that sets a key twice is an error (yaml-cpp keeps both and lookups see the first, so the second
/// would silently not apply). Walks the whole document; names the key path and both lines. `nodes` counts the
/// nodes walked, aliases expanded: a document of more than kMaxYamlNodes is refused, since a few lines of nested
/// aliases ("billion laughs": 25 lines of `b: &b [*a, *a, ...]`) expand to 10^25 nodes and hung this walk and
/// every reader after it (found by fuzzing, issue 18).
void rejectDuplicateKeys(const YAML::Node& node, const std::string& path, const std::string& file, std::size_t& nodes) {
  if (++nodes > kMaxYamlNodes)
    throw ConfigError(fmt::format("{}: more than {} YAML nodes (aliases expanded; at {}); an architecture has a few "
                                  "hundred",
                                  file, kMaxYamlNodes, path.empty() ? "<root>" : path));
  if (node.IsMap()) {
    std::map<std::string, int> firstLine;
    for (const auto& kv : node) {
      const int line = kv.first.Mark().line + 1;
      if (!kv.first.IsScalar())
        throw ConfigError(fmt::format("{}: {}: line {}: a key must be a name, not a {}", file,
                                      path.empty() ? "<root>" : path, line, kv.first.IsSequence() ? "list" : "map"));
      const std::string key = kv.first.Scalar();
      const std::string at = path.empty() ? key : path + "." + key;
      const auto [it, fresh] = firstLine.emplace(key, line);
      if (!fresh)
        throw ConfigError(fmt::format("{}: {}: key given twice (lines {} and {}); give it once", file, at,
                                      it->second, line));
      rejectDuplicateKeys(kv.second, at, file, nodes);
    }
  } else if (node.IsSequence()) {
    for (std::size_t i = 0; i < node.size(); ++i)
      rejectDuplicateKeys(node[i], fmt::format("{}[{}]", path, i), file, nodes);
  }
}
}  // namespace

YAML::Node loadYamlFile(const std::string& file) {
  std::error_code ec;
  if (std::filesystem::is_directory(file, ec))
    throw ConfigError(fmt::format("{}: is a directory, expected an architecture YAML file", file));
  std::ifstream in(file, std::ios::binary);
  if (!in) throw ConfigError(fmt::format("{}: cannot open architecture file", file));
  // Read at most one byte beyond the cap: a huge file (yaml-cpp took 170 s and 2.2 GB for 50 MB) fails at once.
  std::string text(kMaxYamlBytes + 1, '\0');
  in.read(text.data(), static_cast<std::streamsize>(text.size()));
  if (in.bad()) throw ConfigError(fmt::format("{}: cannot read architecture file", file));
  text.resize(static_cast<std::size_t>(in.gcount()));
  if (text.size() > kMaxYamlBytes)
    throw ConfigError(fmt::format("{}: larger than {} KiB; an architecture file is a few KiB (not an architecture "
                                  "file?)",
                                  file, kMaxYamlBytes / 1024));
  YAML::Node root;
  try {
    root = YAML::Load(text);
  } catch (const YAML::Exception& e) {
    throw ConfigError(fmt::format("{}: YAML syntax error at line {}, column {}: {}", file, e.mark.line + 1,
                                  e.mark.column + 1, e.msg));
  }
  // An empty file (or /dev/null) would silently run every default; leaving out --arch says that on purpose.
  if (!root.IsDefined() || root.IsNull())
    throw ConfigError(fmt::format("{}: file is empty (no settings); give at least 'chip: {{}}', or leave out --arch "
                                  "for the default chip",
                                  file));
  if (!root.IsMap())
    throw ConfigError(fmt::format("{}: the document is {}, expected a mapping of keys (chip:, noise:, ...)", file,
                                  root.IsSequence() ? "a list" : "a scalar"));
  std::size_t nodes = 0;
  rejectDuplicateKeys(root, "", file, nodes);
  return root;
}

void applyOverride(YAML::Node& root, const std::string& assignment) {
  const auto eq = assignment.find('=');
  if (eq == std::string::npos || eq == 0) {
    throw ConfigError(fmt::format("--set '{}': expected key.path=value", assignment));
  }
  const std::string path = assignment.substr(0, eq);
  const std::string value = assignment.substr(eq + 1);
  std::vector<std::string> parts;
  std::stringstream ss(path);
  for (std::string p; std::getline(ss, p, '.');) {
    if (p.empty()) throw ConfigError(fmt::format("--set '{}': empty key segment in '{}'", assignment, path));
    parts.push_back(p);
  }
  if (root.IsDefined() && !root.IsNull() && !root.IsMap())
    throw ConfigError(fmt::format("--set '{}': the architecture document is not a mapping of keys", assignment));
  // Walk with explicit node copies: yaml-cpp nodes are handles, so assignment through them edits the tree.
  std::vector<YAML::Node> chain{root};
  for (size_t i = 0; i + 1 < parts.size(); ++i) {
    YAML::Node next = chain.back()[parts[i]];
    if (next.IsDefined() && !next.IsNull() && !next.IsMap()) {
      throw ConfigError(fmt::format("--set '{}': '{}' is a value, not a section", assignment, parts[i]));
    }
    chain.push_back(next);
  }
  YAML::Node leaf;
  try {
    leaf = YAML::Load(value);
  } catch (const YAML::Exception& e) {
    throw ConfigError(fmt::format("--set '{}': cannot parse value: {}", assignment, e.msg));
  }
  chain.back()[parts.back()] = leaf;
}

}  // namespace mxsim
