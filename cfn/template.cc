#include "cfn/template.h"

#include <utility>

namespace ecsync::cfn {

base::Status TemplateBuilder::Add(const std::string& id, Resource resource,
                                  const std::string& owner) {
  auto [it, inserted] = owners_.emplace(id, owner);
  if (!inserted) {
    return base::InvalidError(owner + " and " + it->second + " both need the logical ID " + id +
                              "; rename one of them");
  }
  resources_.emplace(id, std::move(resource));
  return base::Status::Ok();
}

base::Status TemplateBuilder::Add(const std::string& id, std::string type, Json properties,
                                  const std::string& owner) {
  Resource resource;
  resource.type = std::move(type);
  resource.properties = std::move(properties);
  return Add(id, std::move(resource), owner);
}

Resource* TemplateBuilder::Find(const std::string& id) {
  auto it = resources_.find(id);
  return it == resources_.end() ? nullptr : &it->second;
}

void TemplateBuilder::AddParameter(const std::string& name, Json definition) {
  parameters_.emplace(name, std::move(definition));
}

void TemplateBuilder::AddCondition(const std::string& name, Json expression) {
  conditions_.emplace(name, std::move(expression));
}

namespace {

Json ObjectOf(std::map<std::string, Json>& members) {
  Json out = Json::object();
  out.get_ref<Json::object_t&>().reserve(members.size());
  for (auto& [name, value] : members) AppendMember(out, name, std::move(value));
  return out;
}

}  // namespace

Json TemplateBuilder::Finish() {
  Json resources = Json::object();
  resources.get_ref<Json::object_t&>().reserve(resources_.size());
  for (auto& [id, resource] : resources_) {
    Obj entry;
    if (!resource.condition.empty()) entry.Add("Condition", resource.condition);
    if (!resource.deletion_policy.empty()) entry.Add("DeletionPolicy", resource.deletion_policy);
    entry.Add("Type", std::move(resource.type));
    if (!resource.depends_on.empty()) entry.Add("DependsOn", std::move(resource.depends_on));
    entry.Add("Properties", std::move(resource.properties));
    if (!resource.deletion_policy.empty()) {
      entry.Add("UpdateReplacePolicy", resource.deletion_policy);
    }
    AppendMember(resources, id, std::move(entry).Take());
  }
  Obj tmpl;
  tmpl.Add("AWSTemplateFormatVersion", "2010-09-09");
  if (!parameters_.empty()) tmpl.Add("Parameters", ObjectOf(parameters_));
  if (!conditions_.empty()) tmpl.Add("Conditions", ObjectOf(conditions_));
  tmpl.Add("Resources", std::move(resources));
  resources_.clear();
  owners_.clear();
  parameters_.clear();
  conditions_.clear();
  return std::move(tmpl).Take();
}

}  // namespace ecsync::cfn
