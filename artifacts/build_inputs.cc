#include "artifacts/build_inputs.h"

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <vector>

#include "base/hash.h"
#include "compose/paths.h"

namespace ecsync::artifacts {
namespace {

namespace fs = std::filesystem;

constexpr size_t kTagHexDigits = 32;

void AppendField(std::string* out, std::string_view name, std::string_view value) {
  out->append(name);
  out->push_back(' ');
  out->append(std::to_string(value.size()));
  out->push_back(':');
  out->append(value);
  out->push_back('\n');
}

// Same test as the loader's: what it leaves unresolved because it is not a local path.
bool IsRemote(const std::string& text) {
  return text.find("://") != std::string::npos || text.starts_with("git@") ||
         text.starts_with("github.com/");
}

// Where a build key was written: the key itself when the loader kept its position, else
// the `build` key.
compose::SourceLocation KeyLocation(const compose::Service& service, const std::string& key) {
  if (auto it = service.key_locations.find("build." + key); it != service.key_locations.end()) {
    return it->second;
  }
  if (auto it = service.key_locations.find("build"); it != service.key_locations.end()) {
    return it->second;
  }
  return service.build->location;
}

base::Status KeyError(const compose::Service& service, const std::string& key,
                      const std::string& message) {
  compose::Diagnostic diagnostic{KeyLocation(service, key),
                                 "services." + service.name + ".build." + key, message};
  return base::InvalidError(diagnostic.ToString());
}

// `path` (as the loader resolved it) made relative to the repository root, normalized, ""
// for the root itself; nullopt when it is not inside. A root from disk may be spelled
// relative to the process's directory and above it ("..", from a subfolder of the work
// tree), where no lexical comparison with "api" can tell that it means "<subfolder>/api":
// both are compared as absolute paths then. An empty root (paths already
// repository-relative) is compared as given.
std::optional<std::string> RepositoryRelative(std::string root, std::string path) {
  if (!root.empty() && fs::path(root).is_relative()) {
    std::error_code error;
    const fs::path here = fs::current_path(error);
    if (!error) {
      root = (here / root).lexically_normal().generic_string();
      if (fs::path(path).is_relative()) path = (here / path).lexically_normal().generic_string();
    }
  }
  if (!compose::IsInside(root, path)) return std::nullopt;
  const fs::path normal_root = fs::path(root.empty() ? "." : root).lexically_normal();
  const fs::path normal_path = fs::path(path).lexically_normal();
  std::string relative = normal_path.lexically_relative(normal_root).generic_string();
  if (relative == ".") relative.clear();
  while (!relative.empty() && relative.back() == '/') relative.pop_back();
  return relative;
}

bool IsSeparator(char c) { return c == '.' || c == '_' || c == '-'; }

// One repository-name component: lower-cased, other characters to '-', separator runs cut to
// their first character, no separator at either end.
std::string SanitizeComponent(std::string_view text) {
  std::string out;
  for (char raw : text) {
    char c = static_cast<char>(std::tolower(static_cast<unsigned char>(raw)));
    bool alnum = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
    if (!alnum && !IsSeparator(c)) c = '-';
    if (IsSeparator(c) && (out.empty() || IsSeparator(out.back()))) continue;
    out.push_back(c);
  }
  while (!out.empty() && IsSeparator(out.back())) out.pop_back();
  return out;
}

}  // namespace

std::string BuildInputs::CanonicalEncoding() const {
  std::string out = "ecsync-image-inputs 1\n";
  AppendField(&out, "context-tree", context_tree);
  AppendField(&out, "dockerfile", dockerfile);
  AppendField(&out, "dockerfile-object", dockerfile_object);
  AppendField(&out, "target", target);
  for (const auto& [name, value] : args) {  // std::map: sorted by name
    AppendField(&out, "arg", value ? name + "=" + *value : name);
  }
  AppendField(&out, "platform", platform);
  for (const auto& [name, value] : additional_contexts) {
    AppendField(&out, "context", name + "=" + value);
  }
  return out;
}

std::string BuildInputs::Tag() const {
  return base::Sha256Hex(CanonicalEncoding()).substr(0, kTagHexDigits);
}

base::Result<BuildInputs> ReadBuildInputs(const compose::Service& service,
                                          const std::string& repository_root,
                                          const GitObjectLookup& objects) {
  const compose::Build& build = *service.build;
  BuildInputs inputs;
  inputs.service = service.name;

  if (IsRemote(build.context)) {
    return KeyError(service, "context",
                    "\"" + build.context +
                        "\" is a remote build context; images built by CI (the external "
                        "builder) need a context inside the repository");
  }
  std::optional<std::string> context = RepositoryRelative(repository_root, build.context);
  if (!context) {
    return KeyError(service, "context",
                    "\"" + build.context +
                        "\" is outside the repository; the build context must be a folder of "
                        "the repository the compose file is in");
  }
  inputs.context = *context;
  ECSYNC_ASSIGN_OR_RETURN(std::optional<GitObject> tree, objects(inputs.context));
  if (!tree || !tree->is_tree) {
    return KeyError(service, "context",
                    "\"" + build.context + "\" is " + (tree ? "not a folder" : "missing") +
                        " at this commit; commit the build context");
  }
  inputs.context_tree = tree->id;

  if (!build.dockerfile_inline.empty()) {
    inputs.dockerfile = "inline";
    inputs.dockerfile_object = base::Sha256Hex(build.dockerfile_inline);
  } else {
    const std::string written = build.dockerfile.empty() ? "Dockerfile" : build.dockerfile;
    if (fs::path(written).is_absolute()) {
      return KeyError(
          service, "dockerfile",
          "\"" + written + "\" is an absolute path; name the Dockerfile relative to the context");
    }
    inputs.dockerfile = compose::JoinPath("", written);
    std::optional<std::string> path =
        RepositoryRelative("", compose::JoinPath(inputs.context, inputs.dockerfile));
    if (!path || path->empty()) {
      return KeyError(service, "dockerfile",
                      "\"" + written +
                          "\" is outside the repository; the Dockerfile must be "
                          "committed with the compose file");
    }
    ECSYNC_ASSIGN_OR_RETURN(std::optional<GitObject> blob, objects(*path));
    if (!blob || blob->is_tree) {
      return KeyError(service, "dockerfile",
                      "\"" + written + "\" (" + *path + " in the repository) is " +
                          (blob ? "a folder" : "missing") + " at this commit");
    }
    inputs.dockerfile_object = blob->id;
  }

  inputs.target = build.target;
  inputs.args = build.args;
  if (!service.platform.empty()) {
    inputs.platform = service.platform;
  } else {
    std::vector<std::string> platforms = build.platforms;
    std::sort(platforms.begin(), platforms.end());
    platforms.erase(std::unique(platforms.begin(), platforms.end()), platforms.end());
    for (const std::string& platform : platforms) {
      if (!inputs.platform.empty()) inputs.platform += ",";
      inputs.platform += platform;
    }
  }

  for (const auto& [name, value] : build.additional_contexts) {
    // The loader resolved local paths (made them start with '.' or '/'); anything else
    // (docker-image://, service:, a URL) is kept as written.
    const bool local = !IsRemote(value) && value.find(':') == std::string::npos;
    if (!local) {
      inputs.additional_contexts[name] = value;
      continue;
    }
    std::optional<std::string> path = RepositoryRelative(repository_root, value);
    if (!path) {
      return KeyError(service, "additional_contexts." + name,
                      "\"" + value + "\" is outside the repository");
    }
    ECSYNC_ASSIGN_OR_RETURN(std::optional<GitObject> extra, objects(*path));
    if (!extra || !extra->is_tree) {
      return KeyError(
          service, "additional_contexts." + name,
          "\"" + value + "\" is " + (extra ? "not a folder" : "missing") + " at this commit");
    }
    inputs.additional_contexts[name] = "tree:" + extra->id;
  }
  return inputs;
}

base::Result<std::string> DefaultRepositoryName(std::string_view project,
                                                std::string_view service) {
  std::string name;
  for (std::string_view part : {project, service}) {
    std::string component = SanitizeComponent(part);
    if (component.empty()) continue;
    if (!name.empty()) name += "/";
    name += component;
  }
  if (name.size() < 2 || name.size() > 256) {
    return base::InvalidError("no valid image repository name can be made from project \"" +
                              std::string(project) + "\" and service \"" + std::string(service) +
                              "\"; set the repository explicitly");
  }
  return name;
}

}  // namespace ecsync::artifacts
