#include "sim/config/config.h"

#include <gtest/gtest.h>

#include "tests/temp_path.h"

#include <fstream>

namespace fleetsim {
namespace {

std::shared_ptr<const ConfigDocument> Doc(const char* text) {
  return ConfigDocument::Parse(text, "test.yaml");
}

// Runs `f` and returns the formatted ConfigError it throws ("" if none).
template <class F>
std::string ErrorOf(F f) {
  try {
    f();
  } catch (const ConfigError& e) {
    return e.Format();
  }
  return "";
}

TEST(ConfigTest, ReadsTypedValuesWithPaths) {
  auto doc =
      Doc("links:\n"
          "  - name: nvlink\n"
          "    bandwidth: \"300 GB/s\"\n"
          "    latency: 1.5 us\n"
          "    full_duplex: true\n");
  const ConfigNode link = doc->Root().Get("links").At(0);
  EXPECT_EQ(link.path(), "links[0]");
  EXPECT_EQ(link.Get("name").AsString(), "nvlink");
  EXPECT_DOUBLE_EQ(link.Get("bandwidth").AsQuantity(dim::kBytesPerSecond), 300e9);
  EXPECT_EQ(link.Get("latency").AsDuration().ns(), 1500);
  EXPECT_TRUE(link.Get("full_duplex").AsBool());
  EXPECT_EQ(link.Get("bandwidth").mark().line, 3);
}

TEST(ConfigTest, UnknownKeyNamesPositionLineCaretAndSuggestion) {
  auto doc =
      Doc("link:\n"
          "  bandwith: \"300 GB/s\"\n");
  const std::string msg = ErrorOf([&] {
    MapReader r(doc->Root().Get("link"));
    r.Optional("bandwidth");
    r.Optional("latency");
    r.Finish();
  });
  // Line 2, column 3 is where "bandwith" starts.
  EXPECT_EQ(msg,
            "test.yaml:2:3: error: link.bandwith: unknown key 'bandwith'\n"
            " 2 |   bandwith: \"300 GB/s\"\n"
            "   |   ^\n"
            "did you mean 'bandwidth'?");
}

TEST(ConfigTest, BadUnitPointsInsideTheQuotedValue) {
  auto doc = Doc("memory: \"80 GBs\"\n");
  const std::string msg = ErrorOf([&] { doc->Root().Get("memory").AsQuantity(dim::kBytes); });
  // The value's quote is at column 9; "GBs" starts 3 characters into the value: column 13.
  EXPECT_EQ(msg,
            "test.yaml:1:13: error: memory: unknown unit 'GBs'\n"
            " 1 | memory: \"80 GBs\"\n"
            "   |             ^\n"
            "did you mean 'GB'?");
}

TEST(ConfigTest, DuplicateKeysAreErrors) {
  const std::string msg = ErrorOf([] { Doc("a: 1\nb: 2\na: 3\n"); });
  EXPECT_NE(msg.find("test.yaml:3:1: error: a: duplicate key 'a' (first given on line 1)"),
            std::string::npos)
      << msg;
}

TEST(ConfigTest, SyntaxErrorsArePositioned) {
  const std::string msg = ErrorOf([] { Doc("a: [1, 2\nb: 3\n"); });
  EXPECT_NE(msg.find("test.yaml:"), std::string::npos);
  EXPECT_NE(msg.find("invalid YAML"), std::string::npos) << msg;
}

TEST(ConfigTest, MissingKeyWrongKindAndBadChoice) {
  auto doc = Doc("gpu:\n  count: two\n  kind: gpuu\n  list: 5\n");
  const ConfigNode gpu = doc->Root().Get("gpu");
  EXPECT_NE(ErrorOf([&] { gpu.Get("memory"); }).find("missing required key 'memory'"),
            std::string::npos);
  EXPECT_NE(ErrorOf([&] { gpu.Get("count").AsInt(); }).find("expected an integer, got 'two'"),
            std::string::npos);
  EXPECT_NE(ErrorOf([&] {
              gpu.Get("kind").AsChoice({"gpu", "cpu"});
            }).find("did you mean 'gpu'?"),
            std::string::npos);
  EXPECT_NE(ErrorOf([&] { gpu.Get("list").Items(); }).find("expected a list, got a single value"),
            std::string::npos);
}

TEST(ConfigTest, UnreadableFileIsAConfigError) {
  EXPECT_NE(ErrorOf([] {
              ConfigDocument::LoadFile("/nonexistent/x.yaml");
            }).find("/nonexistent/x.yaml: error: cannot open file"),
            std::string::npos);
}

}  // namespace
}  // namespace fleetsim

namespace fleetsim {
namespace {

TEST(ConfigOverrideTest, SetReplacesAddsAndNamesTheOverrideInErrors) {
  const std::string path = testing::TempPath("ov.yaml");
  std::ofstream(path) << "duration: \"1 d\"\nservices:\n  - name: a\n    replicas: 2\n";
  auto doc = ConfigDocument::LoadFile(
      path, {"services[0].replicas=16", "duration=6 h", "services[0].router=kv_aware"});
  const ConfigNode root = doc->Root();
  // Replaced values, and a key added to an existing map.
  EXPECT_EQ(root.Get("services").At(0).Get("replicas").AsInt(), 16);
  EXPECT_EQ(root.Get("duration").AsDuration().ns(), 6 * 3600 * 1'000'000'000LL);
  EXPECT_EQ(root.Get("services").At(0).Get("router").AsString(), "kv_aware");
  // A bad overridden value: the error names the override, not a file line.
  auto bad = ConfigDocument::LoadFile(path, {"services[0].replicas=two"});
  try {
    bad->Root().Get("services").At(0).Get("replicas").AsInt();
    FAIL();
  } catch (const ConfigError& e) {
    EXPECT_EQ(e.Format(),
              "--set services[0].replicas=two: error: services[0].replicas: expected an integer, "
              "got 'two'");
  }
  // Paths that do not exist.
  EXPECT_THROW(ConfigDocument::LoadFile(path, {"services[3].replicas=1"}), InputError);
  EXPECT_THROW(ConfigDocument::LoadFile(path, {"duration.x=1"}), InputError);
  EXPECT_THROW(ConfigDocument::LoadFile(path, {"novalue"}), InputError);
}

TEST(ConfigOverrideTest, AnIndexOnePastTheEndAppendsToAList) {
  // services has one element: [1] appends a second, [3] is still out of range, and an
  // appended element cannot be walked into (services[2].name: [2] is past the new end).
  const std::string path = testing::TempPath("ov_append.yaml");
  std::ofstream(path) << "services:\n  - name: a\n";
  auto doc = ConfigDocument::LoadFile(path, {"services[1]={name: b, replicas: 3}"});
  const ConfigNode services = doc->Root().Get("services");
  ASSERT_EQ(services.Items().size(), 2u);
  EXPECT_EQ(services.At(1).Get("name").AsString(), "b");
  EXPECT_EQ(services.At(1).Get("replicas").AsInt(), 3);
  EXPECT_THROW(ConfigDocument::LoadFile(path, {"services[3]={name: c}"}), InputError);
  EXPECT_THROW(ConfigDocument::LoadFile(path, {"services[1].name=c"}), InputError);
}

}  // namespace
}  // namespace fleetsim
