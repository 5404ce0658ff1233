#include "compose/tree_loader.h"

#include <algorithm>
#include <utility>

#include "compose/dotenv.h"
#include "compose/interpolate.h"
#include "compose/merge.h"
#include "compose/normalize.h"
#include "compose/paths.h"
#include "compose/schema.h"

namespace ecsync::compose {

namespace {

bool IsUrl(const std::string& text) {
  return text.find("://") != std::string::npos || text.rfind("git@", 0) == 0 ||
         text.rfind("github.com/", 0) == 0;
}

// Resolves the relative paths of one file against its base directory.
class PathResolver {
 public:
  PathResolver(const TreeContext& context, std::string base_dir)
      : context_(context), base_dir_(std::move(base_dir)) {}

  // A file the loader (or the platform) reads: confined to the project when asked.
  base::Status File(YamlNode* node, const std::string& key_path) const {
    if (node == nullptr || !node->IsScalar() || node->scalar.empty()) return base::Status::Ok();
    ECSYNC_ASSIGN_OR_RETURN(node->scalar, Resolve(*node, key_path));
    return base::Status::Ok();
  }

  base::Result<std::string> Resolve(const YamlNode& node, const std::string& key_path) const {
    const std::string& raw = node.scalar;
    if (context_.confine) {
      if (raw[0] == '/' || raw[0] == '~') {
        return ErrorAt(node.location, key_path,
                       "\"" + raw +
                           "\" is an absolute path; name a file inside the project directory "
                           "with a relative path");
      }
      const std::string joined = JoinPath(base_dir_, raw);
      if (!IsInside(context_.root_dir, joined)) {
        return ErrorAt(node.location, key_path,
                       "\"" + raw +
                           "\" is outside the project directory; compose files may only name "
                           "files inside it");
      }
      return joined;
    }
    return JoinPath(base_dir_, ExpandHome(raw, context_.home));
  }

  // A host path for a bind mount or build context: resolved, never confined (the ECS check
  // reports bind mounts). A relative result keeps a "./" so it still reads as a path.
  std::string HostPath(const std::string& raw) const {
    std::string out = JoinPath(base_dir_, ExpandHome(raw, context_.home));
    if (out[0] != '/' && out != "." && out != ".." && out.rfind("../", 0) != 0) out = "./" + out;
    return out;
  }

  base::Status Service(YamlNode* service, const std::string& path) const {
    if (!service->IsMapping()) return base::Status::Ok();
    if (YamlNode* build = service->Find("build")) {
      if (build->IsScalar() && !IsUrl(build->scalar)) build->scalar = HostPath(build->scalar);
      if (build->IsMapping()) {
        YamlNode* context = build->Find("context");
        if (context == nullptr) {
          YamlNode dot;
          dot.kind = YamlNode::Kind::kScalar;
          dot.scalar = ".";
          dot.location = build->location;
          build->entries.push_back(YamlEntry{"context", build->location, std::move(dot)});
          context = &build->entries.back().value;
        }
        if (context->IsScalar() && !IsUrl(context->scalar)) {
          context->scalar = HostPath(context->scalar);
        }
        if (YamlNode* extra = build->Find("additional_contexts"); extra && extra->IsMapping()) {
          for (YamlEntry& entry : extra->entries) {
            if (entry.value.IsScalar() && !IsUrl(entry.value.scalar) &&
                entry.value.scalar.find(':') == std::string::npos) {
              entry.value.scalar = HostPath(entry.value.scalar);
            }
          }
        }
      }
    }
    for (const char* key : {"env_file", "label_file"}) {
      YamlNode* files = service->Find(key);
      if (files == nullptr) continue;
      const std::string files_path = path + "." + key;
      if (files->IsScalar()) {
        ECSYNC_RETURN_IF_ERROR(File(files, files_path));
        continue;
      }
      for (size_t i = 0; files->IsSequence() && i < files->items.size(); ++i) {
        YamlNode& item = files->items[i];
        const std::string item_path = files_path + "[" + std::to_string(i) + "]";
        if (item.IsMapping()) {
          ECSYNC_RETURN_IF_ERROR(File(item.Find("path"), item_path + ".path"));
        } else {
          ECSYNC_RETURN_IF_ERROR(File(&item, item_path));
        }
      }
    }
    if (YamlNode* volumes = service->Find("volumes"); volumes && volumes->IsSequence()) {
      for (YamlNode& item : volumes->items) {
        if (item.IsScalar()) {
          const size_t colon = item.scalar.find(':');
          if (colon == std::string::npos) continue;
          const std::string source = item.scalar.substr(0, colon);
          if (source.empty() || (source[0] != '.' && source[0] != '~' && source[0] != '/')) {
            continue;
          }
          item.scalar = HostPath(source) + item.scalar.substr(colon);
        } else if (item.IsMapping()) {
          const YamlNode* type = item.Find("type");
          YamlNode* source = item.Find("source");
          if (type != nullptr && type->scalar == "bind" && source != nullptr &&
              source->IsScalar() && !source->scalar.empty()) {
            source->scalar = HostPath(source->scalar);
          }
        }
      }
    }
    if (YamlNode* extends = service->Find("extends"); extends && extends->IsMapping()) {
      ECSYNC_RETURN_IF_ERROR(File(extends->Find("file"), path + ".extends.file"));
    }
    return base::Status::Ok();
  }

  base::Status Root(YamlNode* root) const {
    if (YamlNode* services = root->Find("services"); services && services->IsMapping()) {
      for (YamlEntry& entry : services->entries) {
        ECSYNC_RETURN_IF_ERROR(Service(&entry.value, "services." + entry.key));
      }
    }
    for (const char* section : {"secrets", "configs"}) {
      YamlNode* objects = root->Find(section);
      if (objects == nullptr || !objects->IsMapping()) continue;
      for (YamlEntry& entry : objects->entries) {
        if (!entry.value.IsMapping()) continue;
        ECSYNC_RETURN_IF_ERROR(
            File(entry.value.Find("file"), std::string(section) + "." + entry.key + ".file"));
      }
    }
    return base::Status::Ok();
  }

 private:
  const TreeContext& context_;
  std::string base_dir_;
};

class TreeLoader {
 public:
  TreeLoader(const TreeContext& context, std::string path, std::string base_dir,
             const std::map<std::string, std::string>& environment,
             std::vector<std::string>* include_stack)
      : context_(context),
        path_(std::move(path)),
        base_dir_(std::move(base_dir)),
        environment_(environment),
        include_stack_(include_stack) {}

  base::Result<YamlNode> Run(std::optional<std::vector<YamlNode>> parsed) {
    std::vector<YamlNode> documents;
    if (parsed) {
      documents = std::move(*parsed);
    } else {
      ECSYNC_ASSIGN_OR_RETURN(documents, ParseComposeFile(*context_.reader, path_));
    }
    // Each document is a layer of its own, merged over the previous ones like another -f file.
    std::optional<YamlNode> merged;
    for (YamlNode& document : documents) {
      ECSYNC_ASSIGN_OR_RETURN(YamlNode tree, Document(std::move(document)));
      if (!merged) {
        merged = std::move(tree);
      } else {
        MergeTrees(&*merged, std::move(tree), "");
      }
    }
    return std::move(*merged);
  }

 private:
  base::Result<YamlNode> Document(YamlNode root) {
    ECSYNC_RETURN_IF_ERROR(InterpolateTree(environment_, "", &root));
    ECSYNC_RETURN_IF_ERROR(ValidateSchema(root));
    ECSYNC_RETURN_IF_ERROR(PathResolver(context_, base_dir_).Root(&root));
    if (YamlNode* services = root.Find("services"); services && services->IsMapping()) {
      for (YamlEntry& entry : services->entries) CanonicalizeService(&entry.value);
    }
    ECSYNC_RETURN_IF_ERROR(Includes(&root));
    ECSYNC_RETURN_IF_ERROR(Extends(&root));
    return root;
  }

  base::Status Includes(YamlNode* root) {
    const YamlNode* include = root->Find("include");
    if (include == nullptr) return base::Status::Ok();
    const YamlNode includes = *include;
    std::erase_if(root->entries, [](const YamlEntry& e) { return e.key == "include"; });
    for (size_t i = 0; includes.IsSequence() && i < includes.items.size(); ++i) {
      ECSYNC_RETURN_IF_ERROR(
          Include(includes.items[i], "include[" + std::to_string(i) + "]", root));
    }
    return base::Status::Ok();
  }

  base::Status Include(const YamlNode& item, const std::string& item_path, YamlNode* root) {
    const PathResolver resolver(context_, base_dir_);
    std::vector<const YamlNode*> paths;
    std::vector<const YamlNode*> env_files;
    const YamlNode* project_directory = nullptr;
    auto collect = [](const YamlNode* node, std::vector<const YamlNode*>* out) {
      if (node == nullptr) return;
      if (node->IsScalar()) out->push_back(node);
      for (const YamlNode& n : node->items) out->push_back(&n);
    };
    if (item.IsScalar()) {
      paths.push_back(&item);
    } else {
      collect(item.Find("path"), &paths);
      collect(item.Find("env_file"), &env_files);
      project_directory = item.Find("project_directory");
    }
    if (paths.empty()) return ErrorAt(item.location, item_path, "needs a path");
    std::vector<std::string> files;
    for (const YamlNode* path : paths) {
      ECSYNC_ASSIGN_OR_RETURN(std::string file, resolver.Resolve(*path, item_path + ".path"));
      files.push_back(std::move(file));
    }
    std::string directory = DirName(files.front());
    if (project_directory != nullptr && project_directory->IsScalar()) {
      ECSYNC_ASSIGN_OR_RETURN(
          directory, resolver.Resolve(*project_directory, item_path + ".project_directory"));
    }
    // Variables of the including project win over the included env files.
    std::map<std::string, std::string> environment = environment_;
    for (const YamlNode* env_file : env_files) {
      ECSYNC_ASSIGN_OR_RETURN(std::string file,
                              resolver.Resolve(*env_file, item_path + ".env_file"));
      base::Result<std::string> content = context_.reader->Read(file);
      if (!content.ok())
        return ErrorAt(env_file->location, item_path + ".env_file", content.status().message());
      ECSYNC_ASSIGN_OR_RETURN(DotEnv vars, ParseDotEnvFile(*content, file));
      for (auto& [key, value] : vars) environment.emplace(key, value);
    }
    std::optional<YamlNode> merged;
    for (size_t i = 0; i < files.size(); ++i) {
      const std::string& file = files[i];
      include_stack_->push_back(path_);
      if (std::find(include_stack_->begin(), include_stack_->end(), file) !=
          include_stack_->end()) {
        std::string chain;
        auto it = std::find(include_stack_->begin(), include_stack_->end(), file);
        for (; it != include_stack_->end(); ++it) chain += *it + " -> ";
        include_stack_->pop_back();
        return ErrorAt(paths[i]->location, item_path, "include cycle detected: " + chain + file);
      }
      TreeContext child = context_;
      base::Result<YamlNode> tree =
          TreeLoader(child, file, directory, environment, include_stack_).Run(std::nullopt);
      include_stack_->pop_back();
      if (!tree.ok()) {
        if (tree.status().kind() == base::ErrorKind::kNotFound) {
          return ErrorAt(paths[i]->location, item_path,
                         "included file " + file + " does not exist");
        }
        return tree.status();
      }
      if (!merged) {
        merged = std::move(*tree);
      } else {
        MergeTrees(&*merged, std::move(*tree), "");
      }
    }
    for (const char* section : {"services", "networks", "volumes", "secrets", "configs"}) {
      YamlNode* from = merged->Find(section);
      if (from == nullptr || !from->IsMapping()) continue;
      YamlNode* into = root->Find(section);
      if (into == nullptr || !into->IsMapping()) {
        std::erase_if(root->entries, [&](const YamlEntry& e) { return e.key == section; });
        root->entries.push_back(YamlEntry{section, from->location, std::move(*from)});
        continue;
      }
      for (YamlEntry& entry : from->entries) {
        if (const YamlNode* existing = into->Find(entry.key)) {
          return ErrorAt(existing->location.line > 0 ? existing->location : item.location,
                         std::string(section) + "." + entry.key,
                         "also defined by the included file " + entry.key_location.file +
                             "; rename one of them");
        }
        into->entries.push_back(std::move(entry));
      }
    }
    return base::Status::Ok();
  }

  base::Status Extends(YamlNode* root) {
    YamlNode* services = root->Find("services");
    if (services == nullptr || !services->IsMapping()) return base::Status::Ok();
    for (size_t i = 0; i < services->entries.size(); ++i) {
      std::vector<std::string> chain;
      ECSYNC_RETURN_IF_ERROR(Extend(services, services->entries[i].key, &chain));
    }
    return base::Status::Ok();
  }

  // Replaces services[name] by its base merged with it, recursively.
  base::Status Extend(YamlNode* services, const std::string& name,
                      std::vector<std::string>* chain) {
    YamlNode* service = services->Find(name);
    const YamlNode* extends = service == nullptr ? nullptr : service->Find("extends");
    if (extends == nullptr) return base::Status::Ok();
    const std::string path = "services." + name + ".extends";
    if (std::find(chain->begin(), chain->end(), name) != chain->end()) {
      std::string cycle;
      for (const std::string& link : *chain) cycle += link + " -> ";
      return ErrorAt(extends->location, path, "extends cycle detected: " + cycle + name);
    }
    std::string base_name;
    std::string file;
    if (extends->IsScalar()) {
      base_name = extends->scalar;
    } else {
      if (const YamlNode* s = extends->Find("service")) base_name = s->scalar;
      if (const YamlNode* f = extends->Find("file"); f != nullptr && f->IsScalar()) {
        file = f->scalar;
      }
      if (file == path_) file.clear();  // this same file
    }
    const SourceLocation location = extends->location;
    YamlNode base;
    if (file.empty()) {
      chain->push_back(name);
      ECSYNC_RETURN_IF_ERROR(Extend(services, base_name, chain));
      chain->pop_back();
      const YamlNode* found = services->Find(base_name);
      if (found == nullptr) {
        return ErrorAt(
            location, path,
            "cannot extend service \"" + base_name + "\": it is not defined in this file");
      }
      base = *found;
    } else {
      if (std::find(include_stack_->begin(), include_stack_->end(), file) !=
          include_stack_->end()) {
        return ErrorAt(location, path, "extends cycle detected: " + path_ + " -> " + file);
      }
      include_stack_->push_back(path_);
      base::Result<YamlNode> other =
          TreeLoader(context_, file, DirName(file), environment_, include_stack_).Run(std::nullopt);
      include_stack_->pop_back();
      if (!other.ok()) {
        if (other.status().kind() == base::ErrorKind::kNotFound) {
          return ErrorAt(location, path, "extended file " + file + " does not exist");
        }
        return other.status();
      }
      const YamlNode* other_services = other->Find("services");
      const YamlNode* found = other_services == nullptr ? nullptr : other_services->Find(base_name);
      if (found == nullptr) {
        return ErrorAt(location, path,
                       "cannot extend service \"" + base_name + "\": it is not defined in " + file);
      }
      base = *found;
    }
    if (base.IsNull()) base.kind = YamlNode::Kind::kMapping;
    service = services->Find(name);  // the recursion may have replaced other entries
    YamlNode over = std::move(*service);
    std::erase_if(over.entries, [](const YamlEntry& e) { return e.key == "extends"; });
    if (over.IsNull()) over.kind = YamlNode::Kind::kMapping;
    MergeTrees(&base, std::move(over), "services.*");
    base.location = service->location;
    *service = std::move(base);
    return base::Status::Ok();
  }

  base::Result<DotEnv> ParseDotEnvFile(const std::string& content, const std::string& file) {
    base::Result<DotEnv> vars = ParseDotEnv(content, environment_);
    if (!vars.ok()) return base::InvalidError(file + ": " + vars.status().message());
    return vars;
  }

  const TreeContext& context_;
  std::string path_;
  std::string base_dir_;
  const std::map<std::string, std::string>& environment_;
  std::vector<std::string>* include_stack_;
};

}  // namespace

base::Result<std::vector<YamlNode>> ParseComposeFile(FileReader& reader, const std::string& path) {
  ECSYNC_ASSIGN_OR_RETURN(std::string content, reader.Read(path));
  ECSYNC_ASSIGN_OR_RETURN(std::vector<YamlNode> parsed, ParseYamlDocuments(content, path));
  const SourceLocation start = parsed.front().location;
  std::vector<YamlNode> documents;
  for (YamlNode& document : parsed) {
    if (document.IsNull()) continue;  // "---" with nothing after it, as the reference loader
    if (!document.IsMapping()) {
      return ErrorAt(document.location, "",
                     std::string("the top level must be a mapping with a services: key, found ") +
                         KindName(document));
    }
    documents.push_back(std::move(document));
  }
  if (documents.empty()) {
    return ErrorAt(start, "", "the file is empty; a compose file needs a services: mapping");
  }
  return documents;
}

base::Result<YamlNode> LoadComposeTree(const TreeContext& context, const std::string& path,
                                       const std::string& base_dir,
                                       const std::map<std::string, std::string>& environment,
                                       std::vector<std::string>* include_stack,
                                       std::optional<std::vector<YamlNode>> parsed) {
  return TreeLoader(context, path, base_dir, environment, include_stack).Run(std::move(parsed));
}

}  // namespace ecsync::compose
