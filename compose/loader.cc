#include "compose/loader.h"

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <set>
#include <system_error>
#include <utility>

#include "base/file.h"
#include "base/strings.h"
#include "compose/dependencies.h"
#include "compose/dotenv.h"
#include "compose/ecs_check.h"
#include "compose/interpolate.h"
#include "compose/merge.h"
#include "compose/normalize.h"
#include "compose/paths.h"
#include "compose/tree_loader.h"

namespace ecsync::compose {

namespace {

namespace fs = std::filesystem;

using Variables = std::map<std::string, std::string>;

std::string NormalizeProjectName(const std::string& raw) {
  std::string name;
  for (char c : raw) {
    const char lower = base::AsciiLower(c);
    if ((lower >= 'a' && lower <= 'z') || (lower >= '0' && lower <= '9') || lower == '_' ||
        lower == '-') {
      if (name.empty() && (lower == '_' || lower == '-')) continue;
      name += lower;
    }
  }
  return name;
}

// The folder name that names the project when neither the options nor the file do.
std::string DirectoryName(const std::string& working_dir) {
  fs::path dir = working_dir.empty() ? fs::path(".") : fs::path(working_dir);
  if (dir.is_relative()) {
    std::error_code ec;
    const fs::path cwd = fs::current_path(ec);
    if (!ec) dir = cwd / dir;
  }
  dir = dir.lexically_normal();
  if (!dir.has_filename()) dir = dir.parent_path();  // drop a trailing separator
  return dir.filename().string();
}

std::vector<std::string> SplitList(const std::string& text) {
  std::vector<std::string> out;
  size_t begin = 0;
  while (begin <= text.size()) {
    const size_t comma = text.find(',', begin);
    std::string item(base::TrimAscii(std::string_view(text).substr(begin, comma - begin)));
    if (!item.empty()) out.push_back(std::move(item));
    if (comma == std::string::npos) break;
    begin = comma + 1;
  }
  return out;
}

class ProjectLoader {
 public:
  ProjectLoader(const LoadOptions& options, FileReader& reader)
      : options_(options), reader_(reader) {}

  base::Result<Project> Run() {
    files_ = options_.files;
    working_dir_ = options_.working_dir;
    if (files_.empty()) {
      ECSYNC_ASSIGN_OR_RETURN(files_, DiscoverComposeFiles(working_dir_, reader_));
    } else if (working_dir_.empty()) {
      working_dir_ = DirName(files_.front());
    }
    ECSYNC_RETURN_IF_ERROR(BuildVariables());

    // Parse every file first: `name:` must be known before interpolation, as
    // ${COMPOSE_PROJECT_NAME} may be used anywhere.
    std::vector<std::vector<YamlNode>> parsed;
    for (const std::string& file : files_) {
      ECSYNC_ASSIGN_OR_RETURN(std::vector<YamlNode> documents, ParseComposeFile(reader_, file));
      parsed.push_back(std::move(documents));
    }
    ECSYNC_ASSIGN_OR_RETURN(std::string name, ProjectName(parsed));
    variables_.emplace("COMPOSE_PROJECT_NAME", name);

    TreeContext context;
    context.reader = &reader_;
    context.root_dir = options_.root_dir;
    if (context.root_dir.empty()) context.root_dir = reader_.RootFor(working_dir_);
    if (context.root_dir.empty()) context.root_dir = working_dir_;
    context.confine = options_.confine_paths;
    context.home = options_.home_dir;
    if (context.home.empty()) {
      if (auto it = variables_.find("HOME"); it != variables_.end()) context.home = it->second;
    }
    std::optional<YamlNode> merged;
    for (size_t i = 0; i < files_.size(); ++i) {
      std::vector<std::string> include_stack;
      ECSYNC_ASSIGN_OR_RETURN(YamlNode tree,
                              LoadComposeTree(context, files_[i], working_dir_, variables_,
                                              &include_stack, std::move(parsed[i])));
      if (!merged) {
        merged = std::move(tree);
      } else {
        MergeTrees(&*merged, std::move(tree), "");
      }
    }
    ApplyResetTags(&*merged);
    if (merged->Find("services") == nullptr) {
      return ErrorAt(merged->location, "",
                     "no \"services\" section; a compose file needs a top-level services: "
                     "mapping");
    }
    ECSYNC_ASSIGN_OR_RETURN(Project project, NormalizeProject(*merged));
    project.name = std::move(name);
    project.files = files_;
    project.working_dir = working_dir_.empty() ? "." : working_dir_;
    project.root_dir = context.root_dir;
    ECSYNC_RETURN_IF_ERROR(ApplyProfiles(&project));
    for (Service& service : project.services) {
      ECSYNC_RETURN_IF_ERROR(ReadEnvFiles(&service, &project.warnings));
      ECSYNC_RETURN_IF_ERROR(ReadLabelFiles(&service));
    }
    ECSYNC_RETURN_IF_ERROR(ResolveDependencies(&project));
    ECSYNC_RETURN_IF_ERROR(CheckReferences(project));
    if (options_.ecs_check) {
      ECSYNC_RETURN_IF_ERROR(
          CheckEcs(project, &project.warnings, {.images_built = options_.images_built}));
    }
    return project;
  }

 private:
  // Interpolation variables: the given ones win over --env-file files (later files win), or
  // over the project's .env when no --env-file is given.
  base::Status BuildVariables() {
    variables_ = options_.environment;
    std::vector<std::string> files = options_.env_files;
    const bool explicit_files = !files.empty();
    if (!explicit_files && options_.read_dotenv) files.push_back(JoinPath(working_dir_, ".env"));
    Variables from_files;
    for (const std::string& file : files) {
      base::Result<std::string> content = reader_.Read(file);
      if (!content.ok()) {
        if (!explicit_files && content.status().kind() == base::ErrorKind::kNotFound) continue;
        return content.status();
      }
      Variables scope = from_files;
      for (const auto& [key, value] : options_.environment) scope[key] = value;
      base::Result<DotEnv> vars = ParseDotEnv(*content, scope);
      if (!vars.ok()) return base::InvalidError(file + ": " + vars.status().message());
      for (auto& [key, value] : *vars) from_files[key] = value;
    }
    for (auto& [key, value] : from_files) variables_.emplace(key, value);
    return base::Status::Ok();
  }

  base::Result<std::string> ProjectName(const std::vector<std::vector<YamlNode>>& files) {
    std::vector<const YamlNode*> parsed;
    for (const std::vector<YamlNode>& documents : files) {
      for (const YamlNode& document : documents) parsed.push_back(&document);
    }
    if (!options_.project_name.empty()) {
      const std::string name = NormalizeProjectName(options_.project_name);
      if (name.empty()) {
        return base::InvalidError("project name \"" + options_.project_name +
                                  "\" has no letters or digits; use [a-z0-9_-]");
      }
      return name;
    }
    if (auto it = variables_.find("COMPOSE_PROJECT_NAME");
        it != variables_.end() && !it->second.empty()) {
      const std::string name = NormalizeProjectName(it->second);
      if (name.empty()) {
        return base::InvalidError("COMPOSE_PROJECT_NAME \"" + it->second +
                                  "\" has no letters or digits; use [a-z0-9_-]");
      }
      return name;
    }
    for (size_t i = parsed.size(); i-- > 0;) {
      const YamlNode* node = parsed[i]->Find("name");
      if (node == nullptr || !node->IsScalar() || node->scalar.empty()) continue;
      base::Result<std::string> text = Interpolate(node->scalar, variables_);
      if (!text.ok()) return ErrorAt(node->location, "name", text.status().message());
      if (text->empty()) continue;
      const std::string name = NormalizeProjectName(*text);
      if (name.empty()) {
        return ErrorAt(node->location, "name",
                       "project name \"" + *text + "\" has no letters or digits; use [a-z0-9_-]");
      }
      return name;
    }
    const std::string folder = options_.default_project_name.empty()
                                   ? DirectoryName(working_dir_)
                                   : options_.default_project_name;
    const std::string name = NormalizeProjectName(folder);
    if (name.empty()) {
      return base::InvalidError("cannot derive a project name from the folder \"" + folder +
                                "\"; set name: in the compose file or pass a project name");
    }
    return name;
  }

  base::Status ApplyProfiles(Project* project) {
    std::vector<std::string> active = options_.profiles;
    if (active.empty()) {
      if (auto it = variables_.find("COMPOSE_PROFILES"); it != variables_.end()) {
        active = SplitList(it->second);
      }
    }
    const bool all = std::find(active.begin(), active.end(), "*") != active.end();
    std::vector<Service> enabled;
    for (Service& service : project->services) {
      bool on = service.profiles.empty() || all;
      for (const std::string& profile : service.profiles) {
        if (std::find(active.begin(), active.end(), profile) != active.end()) on = true;
      }
      if (on) {
        enabled.push_back(std::move(service));
      } else {
        project->disabled_services.push_back(service.name);
      }
    }
    project->services = std::move(enabled);
    return base::Status::Ok();
  }

  base::Status ReadEnvFiles(Service* service, std::vector<Diagnostic>* warnings) {
    std::map<std::string, std::optional<std::string>> environment;
    for (size_t i = 0; i < service->env_file.size(); ++i) {
      const EnvFile& file = service->env_file[i];
      const std::string path = "services." + service->name + ".env_file[" + std::to_string(i) + "]";
      if (!file.format.empty() && file.format != "raw") {
        return ErrorAt(file.location, path + ".format",
                       "unsupported env_file format \"" + file.format +
                           "\"; use raw (values as written) or leave format out");
      }
      base::Result<std::string> content = reader_.Read(file.path);
      if (!content.ok()) {
        if (content.status().kind() == base::ErrorKind::kNotFound && !file.required) {
          warnings->push_back(Diagnostic{file.location, path,
                                         "optional env file " + file.path + " does not exist"});
          continue;
        }
        return ErrorAt(
            file.location, path,
            content.status().kind() == base::ErrorKind::kNotFound
                ? "env file " + file.path + " does not exist; create it or mark it required: false"
                : content.status().message());
      }
      base::Result<DotEnv> vars = base::InvalidError("");
      if (file.format.empty()) {
        vars = ParseDotEnv(*content, variables_);
      } else {
        vars = ParseRawEnv(*content, variables_);
      }
      if (!vars.ok()) {
        return ErrorAt(file.location, path, file.path + ": " + vars.status().message());
      }
      for (auto& [key, value] : *vars) environment[key] = value;
    }
    for (auto& [key, value] : service->environment) {
      if (!value) {
        if (auto it = variables_.find(key); it != variables_.end()) {
          value = it->second;
        } else if (auto from_file = environment.find(key); from_file != environment.end()) {
          value = from_file->second;
        }
      }
      environment[key] = std::move(value);
    }
    service->environment = std::move(environment);
    return base::Status::Ok();
  }

  base::Status ReadLabelFiles(Service* service) {
    std::map<std::string, std::string> labels;
    for (size_t i = 0; i < service->label_file.size(); ++i) {
      const std::string& file = service->label_file[i];
      base::Result<std::string> content = reader_.Read(file);
      if (!content.ok()) {
        return ErrorAt(service->location,
                       "services." + service->name + ".label_file[" + std::to_string(i) + "]",
                       content.status().message());
      }
      base::Result<DotEnv> vars = ParseDotEnv(*content, {});
      if (!vars.ok()) return base::InvalidError(file + ": " + vars.status().message());
      for (auto& [key, value] : *vars) labels[key] = value;
    }
    for (auto& [key, value] : service->labels) labels[key] = value;
    service->labels = std::move(labels);
    return base::Status::Ok();
  }

  base::Status ResolveDependencies(Project* project) {
    std::set<std::string> enabled;
    for (const Service& service : project->services) enabled.insert(service.name);
    const std::set<std::string> disabled(project->disabled_services.begin(),
                                         project->disabled_services.end());
    for (Service& service : project->services) {
      std::vector<ServiceDependency> kept;
      for (ServiceDependency& dependency : service.dependencies) {
        const std::string path = "services." + service.name + ".depends_on." + dependency.service;
        if (enabled.count(dependency.service) == 0) {
          if (!dependency.required) {
            project->warnings.push_back(Diagnostic{
                dependency.location, path,
                "optional dependency \"" + dependency.service + "\" is not running; ignored"});
            continue;
          }
          if (disabled.count(dependency.service) != 0) {
            return ErrorAt(dependency.location, path,
                           "service \"" + dependency.service +
                               "\" is not enabled by the active profiles; enable it with "
                               "--profile or COMPOSE_PROFILES");
          }
          return ErrorAt(dependency.location, path,
                         "unknown service \"" + dependency.service +
                             "\"; define it under services: or remove the dependency");
        }
        kept.push_back(std::move(dependency));
      }
      std::sort(kept.begin(), kept.end(),
                [](const ServiceDependency& a, const ServiceDependency& b) {
                  return a.service < b.service;
                });
      service.dependencies = std::move(kept);
      service.depends_on.clear();
      for (const ServiceDependency& d : service.dependencies) {
        service.depends_on.push_back(d.service);
      }
    }
    return CheckDependencyCycles(*project);
  }

  // Every secret, config, network and named volume a service names must be defined.
  base::Status CheckReferences(const Project& project) {
    for (const Service& service : project.services) {
      const std::string path = "services." + service.name;
      for (const FileReference& secret : service.secrets) {
        if (project.secrets.count(secret.source) == 0) {
          return ErrorAt(secret.location, path + ".secrets",
                         "undefined secret \"" + secret.source + "\"; define it under secrets:");
        }
      }
      for (const FileReference& config : service.configs) {
        if (project.configs.count(config.source) == 0) {
          return ErrorAt(config.location, path + ".configs",
                         "undefined config \"" + config.source + "\"; define it under configs:");
        }
      }
      for (const auto& [network, attachment] : service.networks) {
        if (network != "default" && project.networks.count(network) == 0) {
          return ErrorAt(attachment.location, path + ".networks." + network,
                         "undefined network \"" + network + "\"; define it under networks:");
        }
      }
      for (const ServiceVolume& volume : service.volumes) {
        if (volume.type == "volume" && !volume.source.empty() &&
            project.volumes.count(volume.source) == 0) {
          return ErrorAt(
              volume.location, path + ".volumes",
              "undefined volume \"" + volume.source + "\"; define it under the top-level volumes:");
        }
      }
    }
    return base::Status::Ok();
  }

  const LoadOptions& options_;
  FileReader& reader_;
  std::vector<std::string> files_;
  std::string working_dir_;
  Variables variables_;
};

}  // namespace

base::Result<std::string> DiskFileReader::Read(const std::string& path) {
  base::Result<std::string> content = base::ReadWholeFile(path);
  if (!content.ok()) return content.status().WithContext(path);
  return content;
}

std::string DiskFileReader::RootFor(const std::string& working_dir) {
  std::error_code ec;
  const fs::path cwd = fs::current_path(ec);
  if (ec) return "";
  const fs::path start = fs::path(working_dir.empty() ? "." : working_dir);
  fs::path dir = (start.is_absolute() ? start : cwd / start).lexically_normal();
  if (!dir.has_filename()) dir = dir.parent_path();  // drop a trailing separator
  for (;;) {
    if (fs::exists(dir / ".git", ec)) break;
    if (dir == dir.root_path() || !dir.has_parent_path()) return "";
    dir = dir.parent_path();
  }
  if (start.is_absolute()) return dir.string();
  std::string relative = dir.lexically_relative(cwd).string();
  return relative.empty() ? "." : relative;
}

base::Result<std::vector<std::string>> DiscoverComposeFiles(const std::string& dir,
                                                            FileReader& reader) {
  static const char* const kNames[][2] = {
      {"compose.yaml", "compose.override.yaml"},
      {"compose.yml", "compose.override.yml"},
      {"docker-compose.yaml", "docker-compose.override.yaml"},
      {"docker-compose.yml", "docker-compose.override.yml"},
  };
  for (const auto& [main, override_name] : kNames) {
    const std::string path = JoinPath(dir, main);
    base::Result<std::string> content = reader.Read(path);
    if (!content.ok()) {
      if (content.status().kind() == base::ErrorKind::kNotFound) continue;
      return content.status();
    }
    std::vector<std::string> files = {path};
    const std::string override_path = JoinPath(dir, override_name);
    if (reader.Read(override_path).ok()) files.push_back(override_path);
    return files;
  }
  return base::NotFoundError("no compose file in " + (dir.empty() ? std::string(".") : dir) +
                             "; create compose.yaml or pass -f FILE");
}

base::Result<Project> Load(const LoadOptions& options, FileReader& reader) {
  return ProjectLoader(options, reader).Run();
}

}  // namespace ecsync::compose
