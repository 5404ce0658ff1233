// x-aws-keys: ["*"]: the secrets init container's own script (taken from a converted template)
// run by the real busybox sh and awk, as in the image, splitting JSON documents into files.

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "cfn/secret_split.h"
#include "compose/loader.h"
#include "tests/cfn/helpers.h"

namespace ecsync::cfn {
namespace {

namespace fs = std::filesystem;
using nlohmann::ordered_json;

constexpr char kBusybox[] = "/usr/bin/busybox";
// In every document that must fail: it may never reach stdout or stderr.
constexpr char kMarker[] = "s3cr3t-M4rker";

// The init container's Command for a project whose service `app` reads the external secret
// `api` (x-aws-keys: ["*"], target keys/api, mode 0440, uid 1234, gid 5678) and the plain
// secret `plain`.
std::string InitScript() {
  ecsync::testing::TempDir dir;
  dir.WriteFile("compose.yaml",
                "name: shop\n"
                "services:\n"
                "  app:\n"
                "    image: example/app\n"
                "    secrets:\n"
                "      - source: api\n"
                "        target: keys/api\n"
                "        mode: 0440\n"
                "        uid: \"1234\"\n"
                "        gid: \"5678\"\n"
                "      - plain\n"
                "secrets:\n"
                "  api:\n"
                "    external: true\n"
                "    name: arn:aws:secretsmanager:us-east-1:123456789012:secret:api-AbCdEf\n"
                "    x-aws-keys: [\"*\"]\n"
                "  plain:\n"
                "    external: true\n"
                "    name: arn:aws:secretsmanager:us-east-1:123456789012:secret:plain-AbCdEf\n");
  compose::DiskFileReader reader;
  compose::LoadOptions options;
  options.files = {dir.path() + "/compose.yaml"};
  base::Result<compose::Project> project = compose::Load(options, reader);
  EXPECT_TRUE(project.ok()) << project.status().ToString();
  if (!project.ok()) return "";
  ordered_json tmpl = testing::ConvertOk(*project);
  for (const ordered_json& init :
       testing::Props(tmpl, "AppTaskDefinition").at("ContainerDefinitions")) {
    if (init.at("Name") != "App_Secrets_InitContainer") continue;
    EXPECT_EQ(init["Secrets"][0]["Name"], "SECRET_0");
    EXPECT_EQ(init["Secrets"][1]["Name"], "SECRET_1");
    return init["Command"][0].get<std::string>();
  }
  ADD_FAILURE() << "no App_Secrets_InitContainer";
  return "";
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream out;
  out << in.rdbuf();
  return out.str();
}

struct Outcome {
  int exit_code = -1;
  std::string out;
  std::string err;
  std::map<std::string, std::string> files;  // every file under the temp dir, by relative path
};

// Runs the script with /run/secrets moved into a temp dir, busybox applets (and nothing else)
// on PATH, SECRET_0 = `json` and SECRET_1 = "plain".
class SecretSplit : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { script_ = new std::string(InitScript()); }
  static void TearDownTestSuite() {
    delete script_;
    script_ = nullptr;
  }

  void SetUp() override {
    // The init container runs as root: it creates files in 0555 directories and chowns them.
    if (geteuid() != 0) GTEST_SKIP() << "needs root, as the init container has";
  }

  Outcome Run(const std::string& json) {
    ecsync::testing::TempDir tmp;
    const std::string bin = tmp.path() + "/bin";
    fs::create_directories(bin);
    for (const char* applet : {"sh", "awk", "mkdir", "dirname", "chmod", "chown", "cat"}) {
      fs::create_symlink(kBusybox, bin + "/" + applet);
    }
    const std::string root = tmp.path() + "/mnt/run/secrets";
    std::string script = *script_;
    for (size_t at = script.find("/run/secrets"); at != std::string::npos;
         at = script.find("/run/secrets", at + root.size())) {
      script.replace(at, std::string("/run/secrets").size(), root);
    }
    fs::create_directories(root);
    ecsync::testing::CommandResult result = ecsync::testing::RunCommand(
        {kBusybox, "sh", "-c", script},
        {{"PATH", bin}, {"LANG", "C.UTF-8"}, {"SECRET_0", json}, {"SECRET_1", "plain"}});
    Outcome outcome{result.exit_code, result.out, result.err, {}};
    for (const fs::directory_entry& entry : fs::recursive_directory_iterator(tmp.path() + "/mnt")) {
      if (entry.is_regular_file()) {
        outcome.files[fs::relative(entry.path(), root).string()] = ReadFile(entry.path());
        struct stat st;
        EXPECT_EQ(stat(entry.path().c_str(), &st), 0);
        modes_[fs::relative(entry.path(), root).string()] = st;
      }
    }
    return outcome;
  }

  // Fails unless the run failed, wrote no file, said why naming `needle`, and leaked nothing.
  void ExpectRejected(const std::string& json, const std::string& needle) {
    SCOPED_TRACE(json);
    Outcome outcome = Run(json);
    EXPECT_NE(outcome.exit_code, 0);
    EXPECT_TRUE(outcome.files.empty()) << outcome.files.begin()->first;
    EXPECT_NE(outcome.err.find(needle), std::string::npos) << outcome.err;
    EXPECT_EQ(outcome.err.find(kMarker), std::string::npos) << outcome.err;
    EXPECT_EQ(outcome.out, "");
  }

  static std::string* script_;
  std::map<std::string, struct stat> modes_;
};

std::string* SecretSplit::script_ = nullptr;

TEST_F(SecretSplit, WritesOneFilePerKeyWithTheReferencesModeAndOwner) {
  Outcome outcome = Run(R"({"user":"admin","password":"p4ss"})");
  ASSERT_EQ(outcome.exit_code, 0) << outcome.err;
  EXPECT_EQ(outcome.out, "");
  EXPECT_EQ(outcome.err, "");
  EXPECT_EQ(outcome.files,
            (std::map<std::string, std::string>{
                {"keys/api/user", "admin"}, {"keys/api/password", "p4ss"}, {"plain", "plain"}}));
  for (const char* file : {"keys/api/user", "keys/api/password"}) {
    EXPECT_EQ(modes_[file].st_mode & 07777, 0440u) << file;
    EXPECT_EQ(modes_[file].st_uid, 1234u) << file;
    EXPECT_EQ(modes_[file].st_gid, 5678u) << file;
  }
  EXPECT_EQ(modes_["plain"].st_mode & 07777, 0444u);
}

TEST_F(SecretSplit, UnescapesStringsToExactBytes) {
  Outcome outcome = Run(R"({"esc":"q\"b\\s\/n\nr\rt\tb\bf\f","e":"caf\u00e9","E":"caf\u00C9",)"
                        R"("emoji":"\ud83d\ude00!","euro":"\u20ac","raw":"d\u00e9j\u00e0 vu d)"
                        "\xc3\xa9j\xc3\xa0"
                        R"(","shell":"it's $HOME `id` $(id) \\n %s%%"})");
  ASSERT_EQ(outcome.exit_code, 0) << outcome.err;
  EXPECT_EQ(outcome.files["keys/api/esc"], "q\"b\\s/n\nr\rt\tb\bf\f");
  EXPECT_EQ(outcome.files["keys/api/e"], "caf\xc3\xa9");
  EXPECT_EQ(outcome.files["keys/api/E"], "caf\xc3\x89");
  EXPECT_EQ(outcome.files["keys/api/emoji"], "\xf0\x9f\x98\x80!");
  EXPECT_EQ(outcome.files["keys/api/euro"], "\xe2\x82\xac");
  EXPECT_EQ(outcome.files["keys/api/raw"], "d\xc3\xa9j\xc3\xa0 vu d\xc3\xa9j\xc3\xa0");
  EXPECT_EQ(outcome.files["keys/api/shell"], "it's $HOME `id` $(id) \\n %s%%");
}

TEST_F(SecretSplit, NumbersBooleansAndNullAreWrittenAsText) {
  Outcome outcome =
      Run("{\"i\":42,\"neg\":-1.5e3,\"zero\":0,\"exp\":2E+10,\"yes\": \t true,\"no\":false,"
          "\"none\":\n null}");
  ASSERT_EQ(outcome.exit_code, 0) << outcome.err;
  EXPECT_EQ(outcome.files, (std::map<std::string, std::string>{{"keys/api/i", "42"},
                                                               {"keys/api/neg", "-1.5e3"},
                                                               {"keys/api/zero", "0"},
                                                               {"keys/api/exp", "2E+10"},
                                                               {"keys/api/yes", "true"},
                                                               {"keys/api/no", "false"},
                                                               {"keys/api/none", ""},
                                                               {"plain", "plain"}}));
}

TEST_F(SecretSplit, WhitespaceBetweenTokens) {
  Outcome outcome = Run(" \n{\n\t\"a\" :\r\n \"x y\" ,\n  \"b\":1\t}\n\n");
  ASSERT_EQ(outcome.exit_code, 0) << outcome.err;
  EXPECT_EQ(outcome.files["keys/api/a"], "x y");
  EXPECT_EQ(outcome.files["keys/api/b"], "1");
  EXPECT_EQ(outcome.files.size(), 3u);
}

TEST_F(SecretSplit, EmptyObjectWritesAnEmptyDirectory) {
  for (const char* json : {"{}", " { \n } "}) {
    Outcome outcome = Run(json);
    ASSERT_EQ(outcome.exit_code, 0) << outcome.err;
    EXPECT_EQ(outcome.files, (std::map<std::string, std::string>{{"plain", "plain"}}));
  }
}

TEST_F(SecretSplit, ValuesMayHoldJsonPunctuation) {
  Outcome outcome = Run(R"({"a":"},{\"k\":\"v\"}:,[]","b":"{","c":":\\\""})");
  ASSERT_EQ(outcome.exit_code, 0) << outcome.err;
  EXPECT_EQ(outcome.files["keys/api/a"], R"(},{"k":"v"}:,[])");
  EXPECT_EQ(outcome.files["keys/api/b"], "{");
  EXPECT_EQ(outcome.files["keys/api/c"], R"(:\")");
  EXPECT_EQ(outcome.files.size(), 4u);
}

TEST_F(SecretSplit, SafeKeysIncludeDotsDashesAndUnderscores) {
  Outcome outcome = Run(R"({".env":"1","..x":"2","a-b_c.D9":"3","\u0061":"4"})");
  ASSERT_EQ(outcome.exit_code, 0) << outcome.err;
  EXPECT_EQ(outcome.files, (std::map<std::string, std::string>{{"keys/api/.env", "1"},
                                                               {"keys/api/..x", "2"},
                                                               {"keys/api/a-b_c.D9", "3"},
                                                               {"keys/api/a", "4"},
                                                               {"plain", "plain"}}));
}

// A key that is not a plain file name fails the whole run before any file is written, so
// nothing lands outside the directory (Run() lists every file under the temp dir).
TEST_F(SecretSplit, RejectsKeysThatAreNotFileNames) {
  const std::string value = std::string("\"") + kMarker + "\"";
  ExpectRejected(R"({"ok":)" + value + R"(,"../x":)" + value + "}", "\"../x\"");
  ExpectRejected(R"({"a/b":)" + value + "}", "\"a/b\"");
  ExpectRejected(R"({"\u002e\u002e\/x":)" + value + "}", "\"../x\"");
  ExpectRejected(R"({".":)" + value + "}", "\".\"");
  ExpectRejected(R"({"..":)" + value + "}", "\"..\"");
  ExpectRejected(R"({"":)" + value + "}", "\"\"");
  ExpectRejected(R"({"a b":)" + value + "}", "\"a b\"");
  ExpectRejected(R"({"x":)" + value + R"(,"x":)" + value + "}", "\"x\" appears twice");
}

TEST_F(SecretSplit, RejectsNestedValuesNamingTheKey) {
  const std::string marker = kMarker;
  ExpectRejected(R"({"ok":"1","db":{"password":")" + marker + "\"}}", "key \"db\" is an object");
  ExpectRejected(R"({"list":[")" + marker + "\"]}", "key \"list\" is an object or array");
}

TEST_F(SecretSplit, RejectsWhatIsNotAJsonObjectWithoutPrintingIt) {
  const std::string marker = kMarker;
  ExpectRejected(marker, "not a JSON object");
  ExpectRejected("", "not a JSON object");
  ExpectRejected("[\"" + marker + "\"]", "not a JSON object");
  ExpectRejected(R"({"a":")" + marker, "key \"a\" has no closing quote");
  ExpectRejected(R"({"a":)" + marker + "}", "key \"a\" is not a JSON value");
  ExpectRejected(R"({"a":"x")" + marker + "\"}", "after the value of key \"a\"");
  ExpectRejected(R"({"a":"x"})" + marker, "unexpected text after the JSON object");
  ExpectRejected(R"({"a":")" + marker + R"(\q"})", "invalid escape");
  ExpectRejected(R"({"a":")" + marker + R"(\u12"})", "invalid \\u escape");
  ExpectRejected(R"({"a":")" + marker + R"(\ud83d"})", "unpaired surrogate");
  ExpectRejected(R"({"a":")" + marker + R"(\ude00"})", "unpaired surrogate");
  ExpectRejected(R"({"a":")" + marker + R"(\u0000"})", "\\u0000");
  ExpectRejected(R"({"a":01})", "after the value of key \"a\"");
  ExpectRejected(R"({"a":"x",})", "expected a key");
  ExpectRejected(R"({"a" ")" + marker + "\"}", "expected : after key \"a\"");
}

// The program sits in single quotes in the script: it may hold none itself.
TEST(SecretSplitScript, AwkProgramHasNoSingleQuote) {
  const std::string function = SplitJsonSecretFunction();
  const size_t open = function.find('\'');
  const size_t close = function.rfind('\'');
  ASSERT_NE(open, close);
  EXPECT_EQ(function.find('\'', open + 1), close);
  EXPECT_EQ(SplitJsonSecretCall("SECRET_3", "/run/secrets/a/b", "0400", ""),
            "ecsync_split_json SECRET_3 /run/secrets/a/b 0400 \"\" || exit 1; ");
}

}  // namespace
}  // namespace ecsync::cfn
