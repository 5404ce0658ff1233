#include "compose/loader.h"

#include <cctype>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <system_error>
#include <utility>

#include "compose/normalize.h"
#include "compose/yaml_tree.h"

namespace ecsync::compose {

namespace {

namespace fs = std::filesystem;

// Later files win for scalars; lists and maps combine as documented in loader.h.
void MergeService(ServiceDraft&& from, ServiceDraft* into) {
  Service& to = into->service;
  Service& src = from.service;
  if (from.has_image) {
    to.image = std::move(src.image);
    into->has_image = true;
  }
  if (src.command) to.command = std::move(src.command);
  if (src.entrypoint) to.entrypoint = std::move(src.entrypoint);
  for (auto& [key, value] : src.environment) to.environment[key] = std::move(value);
  for (PortMapping& port : src.ports) to.ports.push_back(std::move(port));
  if (src.replicas) to.replicas = src.replicas;
  if (src.limits.cpus) to.limits.cpus = src.limits.cpus;
  if (src.limits.memory_bytes) to.limits.memory_bytes = src.limits.memory_bytes;
  if (src.reservations.cpus) to.reservations.cpus = src.reservations.cpus;
  if (src.reservations.memory_bytes) {
    to.reservations.memory_bytes = src.reservations.memory_bytes;
  }
  for (auto& [name, source] : from.depends_on) into->depends_on.emplace(name, std::move(source));
}

base::Result<FileDraft> LoadFile(const std::string& path, const LoadOptions& options,
                                 FileReader& reader) {
  base::Result<std::string> content = reader.Read(path);
  if (!content.ok()) return content.status();
  ECSYNC_ASSIGN_OR_RETURN(YamlNode root, ParseYaml(*content, path));
  if (!root.IsMapping()) {
    return ErrorAt(root.location, "",
                   std::string("the top level must be a mapping with a services: key, found ") +
                       KindName(root));
  }
  ECSYNC_RETURN_IF_ERROR(InterpolateTree(options.environment, "", &root));
  return NormalizeFile(root);
}

std::string NormalizeProjectName(const std::string& raw) {
  std::string name;
  for (char c : raw) {
    const char lower = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if ((lower >= 'a' && lower <= 'z') || (lower >= '0' && lower <= '9') || lower == '_' ||
        lower == '-') {
      if (name.empty() && (lower == '_' || lower == '-')) continue;
      name += lower;
    }
  }
  return name;
}

// The folder name that names the project when neither the options nor the file do.
std::string DirectoryName(const LoadOptions& options) {
  fs::path dir = options.working_dir.empty() ? fs::path(options.files.front()).parent_path()
                                             : fs::path(options.working_dir);
  if (dir.is_relative()) {
    std::error_code ec;
    const fs::path cwd = fs::current_path(ec);
    if (!ec) dir = cwd / dir;
  }
  dir = dir.lexically_normal();
  if (!dir.has_filename()) dir = dir.parent_path();  // drop a trailing separator
  return dir.filename().string();
}

base::Result<std::string> ProjectName(const LoadOptions& options,
                                      const std::optional<std::string>& file_name,
                                      const SourceLocation& file_name_location) {
  if (!options.project_name.empty()) {
    const std::string name = NormalizeProjectName(options.project_name);
    if (name.empty()) {
      return base::InvalidError("project name \"" + options.project_name +
                                "\" has no letters or digits; use [a-z0-9_-]");
    }
    return name;
  }
  if (file_name && !file_name->empty()) {
    const std::string name = NormalizeProjectName(*file_name);
    if (name.empty()) {
      return ErrorAt(file_name_location, "name",
                     "project name \"" + *file_name +
                         "\" has no letters or digits; use [a-z0-9_-]");
    }
    return name;
  }
  const std::string folder =
      options.default_project_name.empty() ? DirectoryName(options) : options.default_project_name;
  const std::string name = NormalizeProjectName(folder);
  if (name.empty()) {
    return base::InvalidError("cannot derive a project name from the folder \"" + folder +
                              "\"; set name: in the compose file or pass a project name");
  }
  return name;
}

}  // namespace

base::Result<std::string> DiskFileReader::Read(const std::string& path) {
  std::error_code ec;
  const fs::file_status status = fs::status(path, ec);
  if (status.type() == fs::file_type::not_found) {
    return base::NotFoundError(path + ": no such file");
  }
  if (status.type() == fs::file_type::directory) {
    return base::InvalidError(path + ": is a directory, not a compose file");
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return base::InvalidError(path + ": cannot open: " + std::strerror(errno));
  }
  std::ostringstream out;
  out << in.rdbuf();
  if (in.bad()) return base::InvalidError(path + ": read failed");
  return out.str();
}

base::Result<Project> Load(const LoadOptions& options, FileReader& reader) {
  if (options.files.empty()) {
    return base::InvalidError("no compose file given; pass at least one file");
  }
  std::optional<std::string> file_name;
  SourceLocation file_name_location;
  std::map<std::string, ServiceDraft> services;
  for (const std::string& path : options.files) {
    ECSYNC_ASSIGN_OR_RETURN(FileDraft draft, LoadFile(path, options, reader));
    if (draft.name) {
      file_name = std::move(draft.name);
      file_name_location = draft.name_location;
    }
    for (auto& [name, service] : draft.services) {
      auto it = services.find(name);
      if (it == services.end()) {
        services.emplace(name, std::move(service));
      } else {
        MergeService(std::move(service), &it->second);
      }
    }
  }

  Project project;
  ECSYNC_ASSIGN_OR_RETURN(project.name, ProjectName(options, file_name, file_name_location));
  project.files = options.files;
  project.services.reserve(services.size());
  for (auto& [name, draft] : services) {
    for (const auto& [dependency, source] : draft.depends_on) {
      if (services.count(dependency) == 0) {
        return ErrorAt(source.location, source.path,
                       "unknown service \"" + dependency +
                           "\"; define it under services: or remove the dependency");
      }
      draft.service.depends_on.push_back(dependency);
    }
    project.services.push_back(std::move(draft.service));
  }
  return project;
}

}  // namespace ecsync::compose
