// Tests for validated YAML reading (sim/core/config.h): defaults for absent keys and sections, range and
// type errors that name the full key path, the value and the allowed range, finish() rejecting typos,
// ParamRegistry records, "--set a.b.c=value" overrides and YAML file loading errors naming the file.
#include "sim/core/config.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cctype>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

#include "sim/core/error.h"
#include "tests/support/error_matchers.h"

namespace mxsim {
namespace {

using testing::configErrorOf;
using testing::contains;
using testing::containsNumber;

std::string tempPath(const std::string& name) {
  return ::testing::TempDir() + "mxsim_config_" + std::to_string(::getpid()) + "_" + name;
}

// ---------------------------------------------------------------------------------------------------
// Defaults

TEST(ConfigReaderTest, AbsentKeysGiveDefaults) {
  YAML::Node doc = YAML::Load("other: 1");
  ConfigReader r(doc, "sec");
  EXPECT_EQ(r.getInt("n", 42, 0, 100, "n"), 42);
  EXPECT_EQ(r.getReal("x", 0.25, 0.0, 1.0, "x"), 0.25);
  EXPECT_EQ(r.getQuantity("clock", Dimension::Frequency, 1.5e9, 1e6, 1e10, "clock"), 1.5e9);
  EXPECT_TRUE(r.getBool("flag", true, "flag"));
  EXPECT_FALSE(r.getBool("flag2", false, "flag2"));
  EXPECT_EQ(r.getChoice("mode", "relative", {"absolute", "relative"}, "mode"), "relative");
  EXPECT_EQ(r.getString("name", "chipname", "name"), "chipname");
  EXPECT_EQ(r.getInt("other", 0, 0, 5, "other"), 1);
  EXPECT_NO_THROW(r.finish());
}

TEST(ConfigReaderTest, DocumentCheckCatchesKeysOfSectionsThatNeverCalledFinish) {
  // Section a reads only x and never calls finish(): its typo passes the root's own finish() (the root asked
  // for a and b), and only the document-wide check sees it, naming the full path and the keys read there.
  const auto readAll = [](ConfigReader& top) {
    ConfigReader a = top.child("a");
    a.getInt("x", 0, 0, 10, "x");
    ConfigReader deep = a.child("deep");
    deep.getInt("y", 0, 0, 10, "y");
    top.getInt("b", 0, 0, 10, "b");
  };
  ConfigReader good(YAML::Load("a: {x: 1, deep: {y: 2}}\nb: 3"), "");
  readAll(good);
  EXPECT_NO_THROW(good.finish());
  EXPECT_NO_THROW(good.finishDocument());
  ConfigReader typo(YAML::Load("a: {x: 1, typo: 2}\nb: 3"), "");
  readAll(typo);
  EXPECT_NO_THROW(typo.finish());
  const std::string msg = testing::configErrorOf([&] { typo.finishDocument(); });
  EXPECT_TRUE(testing::contains(msg, "a.typo: unknown key 'typo'")) << msg;
  EXPECT_TRUE(testing::contains(msg, "known keys here: deep, x")) << msg;
  ConfigReader deepTypo(YAML::Load("a: {deep: {y: 1, z: 2}}"), "");
  readAll(deepTypo);
  EXPECT_TRUE(testing::contains(testing::configErrorOf([&] { deepTypo.finishDocument(); }), "a.deep.z: unknown key"));
}

TEST(ConfigReaderTest, UndefinedAndNullNodesGiveDefaults) {
  ConfigReader undefinedReader(YAML::Node(YAML::NodeType::Undefined), "a");
  EXPECT_EQ(undefinedReader.getInt("n", 7, 0, 10, "n"), 7);
  EXPECT_NO_THROW(undefinedReader.finish());
  ConfigReader nullReader(YAML::Load("~"), "b");
  EXPECT_EQ(nullReader.getReal("x", 0.5, 0, 1, "x"), 0.5);
  EXPECT_NO_THROW(nullReader.finish());
}

TEST(ConfigReaderTest, ChildOfAbsentSectionGivesDefaults) {
  YAML::Node doc = YAML::Load("chip: {tiles: 3}");
  ConfigReader top(doc, "");
  ConfigReader chip = top.child("chip");
  ConfigReader tile = chip.child("tile");  // absent
  EXPECT_EQ(tile.path(), "chip.tile");
  EXPECT_EQ(tile.getInt("arrays", 8, 1, 64, "arrays"), 8);
  ConfigReader array = tile.child("array");  // child of an absent section is absent too
  EXPECT_EQ(array.path(), "chip.tile.array");
  EXPECT_EQ(array.getInt("rows", 128, 1, 4096, "rows"), 128);
  EXPECT_NO_THROW(array.finish());
  EXPECT_NO_THROW(tile.finish());
  EXPECT_EQ(chip.getInt("tiles", 128, 1, 1000, "tiles"), 3);
  EXPECT_NO_THROW(chip.finish());
  EXPECT_NO_THROW(top.finish());
}

TEST(ConfigReaderTest, ReadsPresentValuesOfEveryType) {
  YAML::Node doc = YAML::Load(
      "n: -12\nx: 2.5e-1\nq: 250 MHz\nb1: true\nb2: no\nb3: on\nmode: absolute\nname: hello world\n");
  ConfigReader r(doc, "s");
  EXPECT_EQ(r.getInt("n", 0, -100, 100, "n"), -12);
  EXPECT_DOUBLE_EQ(r.getReal("x", 0, 0, 1, "x"), 0.25);
  EXPECT_DOUBLE_EQ(r.getQuantity("q", Dimension::Frequency, 1e9, 1e6, 1e10, "q"), 250e6);
  EXPECT_TRUE(r.getBool("b1", false, "b1"));
  EXPECT_FALSE(r.getBool("b2", true, "b2"));
  EXPECT_TRUE(r.getBool("b3", false, "b3"));
  EXPECT_EQ(r.getChoice("mode", "relative", {"absolute", "relative"}, "mode"), "absolute");
  EXPECT_EQ(r.getString("name", "x", "name"), "hello world");
  EXPECT_NO_THROW(r.finish());
}

// ---------------------------------------------------------------------------------------------------
// Range and type errors

TEST(ConfigReaderTest, IntRangeIsInclusiveAndErrorsNameKeyValueRange) {
  {
    ConfigReader r(YAML::Load("bits: 17"), "chip.adc");
    EXPECT_EQ(r.getInt("bits", 8, 3, 17, "bits"), 17);  // max is allowed
  }
  {
    ConfigReader r(YAML::Load("bits: 3"), "chip.adc");
    EXPECT_EQ(r.getInt("bits", 8, 3, 17, "bits"), 3);  // min is allowed
  }
  for (const char* bad : {"18", "2", "-5", "99"}) {
    ConfigReader r(YAML::Load(std::string("bits: ") + bad), "chip.adc");
    const std::string msg = configErrorOf([&] { r.getInt("bits", 8, 3, 17, "bits"); });
    EXPECT_TRUE(contains(msg, "chip.adc.bits")) << msg;
    EXPECT_TRUE(containsNumber(msg, bad)) << msg;
    EXPECT_TRUE(containsNumber(msg, "3")) << msg;
    EXPECT_TRUE(containsNumber(msg, "17")) << msg;
  }
}

TEST(ConfigReaderTest, RealRangeErrorsNameKeyValueRange) {
  ConfigReader ok(YAML::Load("sigma: 0.75"), "noise.variation");
  EXPECT_DOUBLE_EQ(ok.getReal("sigma", 0.03, 0.0, 0.75, "sigma"), 0.75);
  ConfigReader r(YAML::Load("sigma: 1.5"), "noise.variation");
  const std::string msg = configErrorOf([&] { r.getReal("sigma", 0.03, 0.0, 0.75, "sigma"); });
  EXPECT_TRUE(contains(msg, "noise.variation.sigma")) << msg;
  EXPECT_TRUE(containsNumber(msg, "1.5")) << msg;
  EXPECT_TRUE(containsNumber(msg, "0.75")) << msg;
  ConfigReader nan(YAML::Load("sigma: nan"), "noise.variation");
  EXPECT_THROW(nan.getReal("sigma", 0.03, 0.0, 0.75, "sigma"), ConfigError);
}

TEST(ConfigReaderTest, QuantityRangeErrorsNameKeyValueRange) {
  ConfigReader r(YAML::Load("clock: 20 GHz"), "chip");
  const std::string msg = configErrorOf([&] { r.getQuantity("clock", Dimension::Frequency, 1e9, 1e6, 10e9, "c"); });
  EXPECT_TRUE(contains(msg, "chip.clock")) << msg;
  EXPECT_TRUE(contains(msg, "20 GHz")) << msg;
  EXPECT_TRUE(contains(msg, "1 MHz")) << msg;
  EXPECT_TRUE(contains(msg, "10 GHz")) << msg;
}

TEST(ConfigReaderTest, QuantityWithBadUnitNamesTheKey) {
  ConfigReader noUnit(YAML::Load("clock: 5"), "chip");
  EXPECT_TRUE(contains(configErrorOf([&] { noUnit.getQuantity("clock", Dimension::Frequency, 1e9, 0, 1e12, "c"); }),
                       "chip.clock"));
  ConfigReader wrong(YAML::Load("clock: 5 pJ"), "chip");
  EXPECT_TRUE(contains(configErrorOf([&] { wrong.getQuantity("clock", Dimension::Frequency, 1e9, 0, 1e12, "c"); }),
                       "chip.clock"));
  ConfigReader list(YAML::Load("clock: [1, 2]"), "chip");
  EXPECT_TRUE(contains(configErrorOf([&] { list.getQuantity("clock", Dimension::Frequency, 1e9, 0, 1e12, "c"); }),
                       "chip.clock"));
}

TEST(ConfigReaderTest, NonIntegerTextIsAnError) {
  for (const char* bad : {"3.5", "abc", "8 bits", "0x10", "[1, 2]", "99999999999999999999999"}) {
    ConfigReader r(YAML::Load(std::string("bits: ") + bad), "dac");
    const std::string msg = configErrorOf([&] { r.getInt("bits", 8, 1, 16, "bits"); });
    EXPECT_TRUE(contains(msg, "dac.bits")) << bad << ": " << msg;
  }
  ConfigReader r(YAML::Load("bits: 3.5"), "dac");
  EXPECT_TRUE(contains(configErrorOf([&] { r.getInt("bits", 8, 1, 16, "bits"); }), "3.5"));
}

TEST(ConfigReaderTest, NonNumericRealIsAnError) {
  for (const char* bad : {"x1", "0.5x", "{a: 1}"}) {
    ConfigReader r(YAML::Load(std::string("sigma: ") + bad), "v");
    EXPECT_TRUE(contains(configErrorOf([&] { r.getReal("sigma", 0.1, 0, 1, "s"); }), "v.sigma")) << bad;
  }
}

TEST(ConfigReaderTest, BadBoolChoiceStringAreErrors) {
  ConfigReader b(YAML::Load("flag: maybe"), "s");
  const std::string bmsg = configErrorOf([&] { b.getBool("flag", false, "f"); });
  EXPECT_TRUE(contains(bmsg, "s.flag")) << bmsg;
  EXPECT_TRUE(contains(bmsg, "maybe")) << bmsg;

  ConfigReader c(YAML::Load("mode: sideways"), "noise.variation");
  const std::string cmsg = configErrorOf([&] { c.getChoice("mode", "absolute", {"absolute", "relative"}, "m"); });
  EXPECT_TRUE(contains(cmsg, "noise.variation.mode")) << cmsg;
  EXPECT_TRUE(contains(cmsg, "sideways")) << cmsg;
  EXPECT_TRUE(contains(cmsg, "absolute")) << cmsg;
  EXPECT_TRUE(contains(cmsg, "relative")) << cmsg;

  ConfigReader s(YAML::Load("name: [a, b]"), "chip");
  EXPECT_TRUE(contains(configErrorOf([&] { s.getString("name", "x", "n"); }), "chip.name"));
}

TEST(ConfigReaderTest, PresentButEmptyKeyIsAnError) {
  ConfigReader r(YAML::Load("bits:\nother: 1"), "adc");
  EXPECT_TRUE(contains(configErrorOf([&] { r.getInt("bits", 8, 1, 16, "bits"); }), "adc.bits"));
}

TEST(ConfigReaderTest, NonMappingSectionIsAnError) {
  EXPECT_TRUE(contains(configErrorOf([] { ConfigReader r(YAML::Load("5"), "chip.sram"); }), "chip.sram"));
  EXPECT_TRUE(contains(configErrorOf([] { ConfigReader r(YAML::Load("[1, 2]"), "chip.sram"); }), "chip.sram"));
  ConfigReader top(YAML::Load("chip: {tile: 8}"), "");
  ConfigReader chip = top.child("chip");
  EXPECT_TRUE(contains(configErrorOf([&] { chip.child("tile"); }), "chip.tile"));
}

// ---------------------------------------------------------------------------------------------------
// Nested paths and finish()

TEST(ConfigReaderTest, NestedReadersBuildDottedPaths) {
  YAML::Node doc = YAML::Load("chip: {tile: {array: {adc: {bits: 99}}}}");
  ConfigReader top(doc, "");
  EXPECT_EQ(top.keyPath("chip"), "chip");
  ConfigReader adc = top.child("chip").child("tile").child("array").child("adc");
  EXPECT_EQ(adc.path(), "chip.tile.array.adc");
  EXPECT_EQ(adc.keyPath("bits"), "chip.tile.array.adc.bits");
  const std::string msg = configErrorOf([&] { adc.getInt("bits", 8, 2, 16, "bits"); });
  EXPECT_TRUE(contains(msg, "chip.tile.array.adc.bits")) << msg;
}

TEST(ConfigReaderTest, FinishRejectsUnknownKeyWithFullDottedPath) {
  YAML::Node doc = YAML::Load("chip: {tile: {array: {adc: {bits: 8, bitz: 9}}}}");
  ConfigReader top(doc, "");
  ConfigReader chip = top.child("chip");
  ConfigReader tile = chip.child("tile");
  ConfigReader array = tile.child("array");
  ConfigReader adc = array.child("adc");
  EXPECT_EQ(adc.getInt("bits", 8, 2, 16, "bits"), 8);
  const std::string msg = configErrorOf([&] { adc.finish(); });
  EXPECT_TRUE(contains(msg, "chip.tile.array.adc.bitz")) << msg;
  // Sections read through child() count as known keys at each level.
  EXPECT_NO_THROW(array.finish());
  EXPECT_NO_THROW(tile.finish());
  EXPECT_NO_THROW(chip.finish());
  EXPECT_NO_THROW(top.finish());
}

TEST(ConfigReaderTest, FinishRejectsKeysNoOneAskedFor) {
  ConfigReader r(YAML::Load("rows: 4\ncolz: 5"), "chip.tile.array");
  r.getInt("rows", 1, 1, 10, "rows");
  r.getInt("cols", 1, 1, 10, "cols");  // declared but absent: fine, yet does not excuse "colz"
  const std::string msg = configErrorOf([&] { r.finish(); });
  EXPECT_TRUE(contains(msg, "chip.tile.array.colz")) << msg;
  // Nothing read at all: the first key present is unknown.
  ConfigReader untouched(YAML::Load("a: 1"), "x");
  EXPECT_TRUE(contains(configErrorOf([&] { untouched.finish(); }), "x.a"));
  // An unknown top-level key with the empty root path is named without a leading dot.
  ConfigReader root(YAML::Load("chipp: {}"), "");
  const std::string rmsg = configErrorOf([&] { root.finish(); });
  EXPECT_TRUE(contains(rmsg, "chipp")) << rmsg;
  EXPECT_FALSE(contains(rmsg, ".chipp")) << rmsg;
}

// ---------------------------------------------------------------------------------------------------
// ParamRegistry

const ParamDoc* findDoc(const ParamRegistry& reg, const std::string& path) {
  for (const auto& d : reg.docs()) {
    if (d.path == path) return &d;
  }
  return nullptr;
}

TEST(ParamRegistryTest, RecordsPathUnitDefaultRangeAndSource) {
  ParamRegistry reg;
  YAML::Node doc = YAML::Load("chip: {adc: {bits: 6}}");
  ConfigReader top(doc, "", &reg);
  ConfigReader adc = top.child("chip").child("adc");
  adc.getInt("bits", 8, 2, 16, "ADC resolution", "bits", {"ISAAC"});
  adc.getQuantity("energy", Dimension::Energy, 1.56e-12, 0.0, 1e-3, "per conversion");
  adc.getReal("gain", 0.5, 0.0, 2.0, "gain");
  adc.getChoice("range", "calibrated", {"calibrated", "full_scale"}, "range mode");

  const ParamDoc* bits = findDoc(reg, "chip.adc.bits");
  ASSERT_NE(bits, nullptr);
  EXPECT_EQ(bits->unit, "bits");
  EXPECT_EQ(bits->defaultText, "8");  // the default, not the value in the document (6)
  EXPECT_TRUE(containsNumber(bits->range, "2") && containsNumber(bits->range, "16")) << bits->range;
  EXPECT_EQ(bits->meaning, "ADC resolution");
  EXPECT_EQ(bits->source, "ISAAC");

  const ParamDoc* energy = findDoc(reg, "chip.adc.energy");
  ASSERT_NE(energy, nullptr);
  EXPECT_EQ(energy->unit, "J");
  EXPECT_EQ(energy->defaultText, "1.56 pJ");
  EXPECT_EQ(energy->source, "");

  const ParamDoc* gain = findDoc(reg, "chip.adc.gain");
  ASSERT_NE(gain, nullptr);
  EXPECT_EQ(gain->defaultText, "0.5");

  const ParamDoc* range = findDoc(reg, "chip.adc.range");
  ASSERT_NE(range, nullptr);
  EXPECT_TRUE(contains(range->range, "calibrated") && contains(range->range, "full_scale")) << range->range;

  const std::string md = reg.markdown();
  EXPECT_TRUE(contains(md, "`chip.adc.bits`")) << md;
  EXPECT_TRUE(contains(md, "ISAAC")) << md;
  EXPECT_TRUE(contains(md, "modelling choice")) << md;  // rows without a source say so
}

TEST(ParamRegistryTest, RedeclaringAPathReplacesInsteadOfDuplicating) {
  ParamRegistry reg;
  for (int i = 0; i < 3; ++i) {
    ConfigReader r(YAML::Node(), "sec", &reg);
    r.getInt("n", 10 + i, 0, 100, "n");
  }
  ASSERT_EQ(reg.docs().size(), 1u);
  EXPECT_EQ(reg.docs()[0].defaultText, "12");
}

// ---------------------------------------------------------------------------------------------------
// applyOverride

TEST(ApplyOverrideTest, CreatesNestedKeysInAnEmptyTree) {
  YAML::Node root(YAML::NodeType::Map);
  applyOverride(root, "chip.tile.array.adc.bits=6");
  ASSERT_TRUE(root["chip"]["tile"]["array"]["adc"]["bits"].IsScalar());
  EXPECT_EQ(root["chip"]["tile"]["array"]["adc"]["bits"].as<int>(), 6);
  // The created sections are real maps the reader can walk.
  ConfigReader adc = ConfigReader(root, "").child("chip").child("tile").child("array").child("adc");
  EXPECT_EQ(adc.getInt("bits", 8, 2, 16, "bits"), 6);
}

TEST(ApplyOverrideTest, OverridesExistingValueAndKeepsSiblings) {
  YAML::Node root = YAML::Load("chip: {clock: 1 GHz, tiles: 128, sram: {ports: 2}}");
  applyOverride(root, "chip.clock=2 GHz");
  applyOverride(root, "chip.sram.word_bits=512");
  EXPECT_EQ(root["chip"]["clock"].as<std::string>(), "2 GHz");
  EXPECT_EQ(root["chip"]["tiles"].as<int>(), 128);
  EXPECT_EQ(root["chip"]["sram"]["ports"].as<int>(), 2);
  EXPECT_EQ(root["chip"]["sram"]["word_bits"].as<int>(), 512);
  // Later overrides of the same key win.
  applyOverride(root, "chip.tiles=4");
  applyOverride(root, "chip.tiles=9");
  EXPECT_EQ(root["chip"]["tiles"].as<int>(), 9);
}

TEST(ApplyOverrideTest, ValueIsEverythingAfterTheFirstEquals) {
  YAML::Node root(YAML::NodeType::Map);
  applyOverride(root, "chip.name=a=b");
  EXPECT_EQ(root["chip"]["name"].as<std::string>(), "a=b");
}

TEST(ApplyOverrideTest, RejectsMalformedAssignments) {
  YAML::Node root(YAML::NodeType::Map);
  EXPECT_TRUE(contains(configErrorOf([&] { applyOverride(root, "noequals"); }), "noequals"));
  EXPECT_THROW(applyOverride(root, "=5"), ConfigError);
  EXPECT_THROW(applyOverride(root, "a..b=5"), ConfigError);
  EXPECT_THROW(applyOverride(root, ".a=5"), ConfigError);
  EXPECT_THROW(applyOverride(root, "a=[1, 2"), ConfigError);  // unparsable value
}

TEST(ApplyOverrideTest, RejectsDescendingIntoAScalar) {
  YAML::Node root = YAML::Load("chip: {tiles: 128}");
  const std::string msg = configErrorOf([&] { applyOverride(root, "chip.tiles.count=3"); });
  EXPECT_TRUE(contains(msg, "tiles")) << msg;
  EXPECT_EQ(root["chip"]["tiles"].as<int>(), 128);  // the scalar was left alone
}

// ---------------------------------------------------------------------------------------------------
// loadYamlFile

TEST(LoadYamlFileTest, MissingFileIsAnErrorNamingTheFile) {
  const std::string file = tempPath("does_not_exist.yaml");
  std::remove(file.c_str());
  const std::string msg = configErrorOf([&] { loadYamlFile(file); });
  EXPECT_TRUE(contains(msg, file)) << msg;
}

TEST(LoadYamlFileTest, SyntaxErrorNamesTheFile) {
  const std::string file = tempPath("syntax.yaml");
  std::ofstream(file) << "chip:\n  tiles: [1, 2\n  clock: 1 GHz\n";
  const std::string msg = configErrorOf([&] { loadYamlFile(file); });
  EXPECT_TRUE(contains(msg, file)) << msg;
  std::remove(file.c_str());
}

TEST(LoadYamlFileTest, LoadsAValidFile) {
  const std::string file = tempPath("ok.yaml");
  std::ofstream(file) << "chip:\n  tiles: 7\n  clock: 1 GHz\n";
  YAML::Node n = loadYamlFile(file);
  EXPECT_EQ(n["chip"]["tiles"].as<int>(), 7);
  EXPECT_EQ(n["chip"]["clock"].as<std::string>(), "1 GHz");
  std::remove(file.c_str());
}

}  // namespace
}  // namespace mxsim

namespace mxsim {
namespace {

/// Issue 18: non-scalar keys and values were internal errors (yaml-cpp's "bad conversion") or "<not a scalar>".
TEST(ConfigReaderTest, NonScalarKeysAndValuesNameTheKeyAndWhatWasFound) {
  const YAML::Node listKey = YAML::Load("[a, b]: 1\n");
  ConfigReader r(listKey, "chip");
  EXPECT_TRUE(contains(configErrorOf([&] { r.finish(); }), "chip: a key must be a name, not a list"));
  ConfigReader v(YAML::Load("tiles: [1, 2]\nname: {a: 1}\n"), "chip");
  EXPECT_TRUE(contains(configErrorOf([&] { v.getInt("tiles", 1, 1, 8, "m"); }), "chip.tiles: expected an integer, got a list"));
  EXPECT_TRUE(contains(configErrorOf([&] { v.getString("name", "x", "m"); }), "chip.name: expected a text value, got a map"));
}

TEST(ConfigReaderTest, TextMustBeUtf8) {
  EXPECT_TRUE(isValidUtf8("plain ascii"));
  EXPECT_TRUE(isValidUtf8("\xC2\xB5S and \xE2\x80\xA6 and \xF0\x9F\x98\x80"));  // µ, …, an emoji
  for (const std::string bad : {"ab\xFF", "\xC2", "\xC0\xAF", "\xED\xA0\x80", "\xF4\x90\x80\x80", "\x80"})
    EXPECT_FALSE(isValidUtf8(bad)) << bad;  // stray byte, truncated, overlong, surrogate, > U+10FFFF, lone continuation
  ConfigReader r(YAML::Load("name: \"chip\\xFF\"\n"), "chip");
  // YAML's \xFF escape is U+00FF (valid UTF-8); a raw byte is what must be rejected.
  EXPECT_EQ(r.getString("name", "", "m"), "chip\xC3\xBF");
  YAML::Node raw(YAML::NodeType::Map);
  raw["name"] = std::string("chip\xFF");
  ConfigReader q(raw, "chip");
  EXPECT_TRUE(contains(configErrorOf([&] { q.getString("name", "", "m"); }), "chip.name: the text is not valid UTF-8"));
}

/// Issue 18: what loadYamlFile rejects, each naming the file.
TEST(ConfigReaderTest, LoadYamlFileRejectsDirectoriesEmptyScalarAndHugeFiles) {
  const std::string dir = ::testing::TempDir();
  EXPECT_TRUE(contains(configErrorOf([&] { loadYamlFile(dir); }), "is a directory"));
  auto write = [&](const std::string& name, const std::string& text) {
    const std::string path = dir + "/" + std::to_string(::getpid()) + "_" + name;
    std::ofstream(path) << text;
    return path;
  };
  const std::string empty = write("mxsim_empty.yaml", "# only a comment\n");
  EXPECT_TRUE(contains(configErrorOf([&] { loadYamlFile(empty); }), empty + ": file is empty"));
  EXPECT_TRUE(contains(configErrorOf([&] { loadYamlFile("/dev/null"); }), "/dev/null: file is empty"));
  const std::string scalar = write("mxsim_scalar.yaml", "hello\n");
  EXPECT_TRUE(contains(configErrorOf([&] { loadYamlFile(scalar); }), scalar + ": the document is a scalar"));
  const std::string huge = write("mxsim_huge.yaml", "chip: {}\n" + std::string(kMaxYamlBytes, '\n'));
  EXPECT_TRUE(contains(configErrorOf([&] { loadYamlFile(huge); }), huge + ": larger than 1024 KiB"));
  const std::string fits = write("mxsim_fits.yaml", "chip: {}\n" + std::string(kMaxYamlBytes - 10, '\n'));
  EXPECT_TRUE(loadYamlFile(fits).IsMap());
  for (const auto& p : {empty, scalar, huge, fits}) std::remove(p.c_str());
}

TEST(ConfigReaderTest, OverrideOnAScalarDocumentIsAConfigError) {
  YAML::Node root = YAML::Load("hello");
  EXPECT_TRUE(contains(configErrorOf([&] { applyOverride(root, "chip.tiles=4"); }), "--set 'chip.tiles=4'"));
}

// Found by fuzzing (issue 18): 26 lines of nested aliases expand to 10^25 nodes; the duplicate-key walk (and
// every reader after it) hung. Refused after kMaxYamlNodes nodes, at once.
TEST(ConfigReaderTest, AliasesThatExpandBeyondTheNodeCapAreRefusedAtOnce) {
  std::string text = "a0: &a0 [1, 1, 1, 1, 1, 1, 1, 1, 1, 1]\n";
  for (int i = 1; i < 25; ++i) {
    text += "a" + std::to_string(i) + ": &a" + std::to_string(i) + " [";
    for (int j = 0; j < 10; ++j) text += (j ? ", *a" : "*a") + std::to_string(i - 1);
    text += "]\n";
  }
  text += "chip: {}\n";
  const std::string path = ::testing::TempDir() + "/" + std::to_string(::getpid()) + "_mxsim_laughs.yaml";
  std::ofstream(path) << text;
  const auto t0 = std::chrono::steady_clock::now();
  const std::string msg = configErrorOf([&] { loadYamlFile(path); });
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  EXPECT_TRUE(contains(msg, path + ": more than 100000 YAML nodes (aliases expanded; at a")) << msg;
  EXPECT_LT(seconds, 5.0);  // the walk stops at the cap (~0.1 s); uncapped it ran for hours
  // A few aliases within the cap are still YAML the reader accepts.
  std::ofstream(path) << "x: &x {tiles: 4}\ny: *x\nchip: {}\n";
  EXPECT_TRUE(loadYamlFile(path).IsMap());
  std::remove(path.c_str());
}

// Found by fuzzing (issue 18): a message quoting text with a line break (a --set value, an ONNX name, an NPY
// header key) was several lines. Every mxsim::Error is one line: control characters become escapes.
TEST(ErrorTest, MessageIsOneLineWhateverItQuotes) {
  const ConfigError e(std::string("--set chip.mapping.overflow: 'a\nb\r\x01\x7f\tc' is not allowed"));
  EXPECT_STREQ(e.what(), "--set chip.mapping.overflow: 'a\\nb\\r\\x01\\x7F\tc' is not allowed");
  EXPECT_EQ(std::string(Error("plain text, \xC3\xA9 UTF-8 kept").what()), "plain text, \xC3\xA9 UTF-8 kept");
}

}  // namespace
}  // namespace mxsim
