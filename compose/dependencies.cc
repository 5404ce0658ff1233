#include "compose/dependencies.h"

#include <map>
#include <string>
#include <vector>

#include "compose/yaml_tree.h"

namespace ecsync::compose {

namespace {

enum class Mark { kNone, kActive, kDone };

class CycleFinder {
 public:
  explicit CycleFinder(const Project& project) {
    for (const Service& service : project.services) services_[service.name] = &service;
  }

  base::Status Visit(const Service& service) {
    Mark& mark = marks_[service.name];
    if (mark == Mark::kDone) return base::Status::Ok();
    mark = Mark::kActive;
    stack_.push_back(service.name);
    for (const ServiceDependency& dependency : service.dependencies) {
      auto it = services_.find(dependency.service);
      if (it == services_.end()) continue;
      if (marks_[dependency.service] == Mark::kActive) {
        std::string cycle;
        bool in_cycle = false;
        for (const std::string& name : stack_) {
          if (name == dependency.service) in_cycle = true;
          if (in_cycle) cycle += name + " -> ";
        }
        return ErrorAt(dependency.location,
                       "services." + service.name + ".depends_on." + dependency.service,
                       "dependency cycle detected: " + cycle + dependency.service);
      }
      ECSYNC_RETURN_IF_ERROR(Visit(*it->second));
    }
    stack_.pop_back();
    marks_[service.name] = Mark::kDone;
    return base::Status::Ok();
  }

 private:
  std::map<std::string, const Service*> services_;
  std::map<std::string, Mark> marks_;
  std::vector<std::string> stack_;
};

}  // namespace

base::Status CheckDependencyCycles(const Project& project) {
  CycleFinder finder(project);
  for (const Service& service : project.services) {
    ECSYNC_RETURN_IF_ERROR(finder.Visit(service));
  }
  return base::Status::Ok();
}

}  // namespace ecsync::compose
