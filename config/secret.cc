#include "config/secret.h"

#include "config/values.h"

namespace ecsync::config {

namespace {

constexpr std::string_view kReferenceKeys[] = {"env", "file"};

const char kHowTo[] =
    "write {env: NAME} to read it from an environment variable or {file: /path} to read it "
    "from a file";

}  // namespace

base::Status ReadSecret(const ConfigMapping& mapping, const std::string& key,
                        const base::EnvLookup& env, const ReadFileFn& read_file, std::string* out) {
  const compose::YamlNode* value = mapping.Find(key);
  if (value == nullptr) return base::Status::Ok();
  // Never echo a scalar here: it is likely the secret itself.
  if (!value->IsMapping()) {
    return mapping.Error(key, std::string("a secret cannot be written in the configuration "
                                          "file (found ") +
                                  (value->IsScalar() ? "a plain value" : DescribeValue(*value)) +
                                  "); " + kHowTo);
  }
  ECSYNC_ASSIGN_OR_RETURN(const ConfigMapping reference, mapping.Child(key, kReferenceKeys));
  if (reference.Has("env") == reference.Has("file")) {
    return mapping.Error(key, std::string("needs exactly one of env and file; ") + kHowTo);
  }
  if (reference.Has("env")) {
    std::string name;
    ECSYNC_RETURN_IF_ERROR(reference.String("env", &name));
    if (!IsVariableName(name)) {
      return reference.Error("env", "\"" + name +
                                        "\" is not an environment variable name; use letters, "
                                        "digits and _");
    }
    const std::optional<std::string> secret = env ? env(name) : std::nullopt;
    if (!secret.has_value()) {
      return reference.Error(
          "env", "environment variable " + name + " is not set; set it in ecsync's environment");
    }
    if (secret->empty()) {
      return reference.Error("env",
                             "environment variable " + name + " is empty; set it to the secret");
    }
    *out = *secret;
    return base::Status::Ok();
  }
  std::string path;
  ECSYNC_RETURN_IF_ERROR(reference.String("file", &path));
  if (path.empty()) return reference.Error("file", "is empty; write the path of the secret's file");
  if (!read_file) return reference.Error("file", "files cannot be read here");
  const base::Result<std::optional<std::string>> content = read_file(path);
  if (!content.ok()) {
    return reference.Error("file", "cannot read " + path + ": " + content.status().message());
  }
  if (!content->has_value()) {
    return reference.Error("file", "file " + path + " does not exist; create it or fix the path");
  }
  std::string secret = **content;
  if (secret.ends_with('\n')) secret.pop_back();
  if (secret.ends_with('\r')) secret.pop_back();
  if (secret.empty())
    return reference.Error("file", "file " + path + " is empty; write the secret into it");
  *out = std::move(secret);
  return base::Status::Ok();
}

}  // namespace ecsync::config
