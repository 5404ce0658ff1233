#pragma once

// The template under construction: resources, parameters and conditions, each keyed by
// logical ID and written sorted by it, so the output does not depend on the order in
// which the builders ran or services arrived. Not thread-safe.

#include <map>
#include <string>
#include <vector>

#include "base/result.h"
#include "cfn/json.h"

namespace ecsync::cfn {

struct Resource {
  std::string type;
  Json properties = Json::object();
  std::vector<std::string> depends_on;  // written in this order; omitted when empty
  std::string deletion_policy;          // "Retain", ...; omitted when empty
  std::string condition;                // a condition's name; omitted when empty
};

class TemplateBuilder {
 public:
  // Adds a resource. `owner` names what asked for it ("service \"web\" (compose.yaml:3:3)")
  // for the message when two things want the same logical ID: kInvalid.
  base::Status Add(const std::string& id, Resource resource, const std::string& owner);
  // Shorthand for a resource with only a type and properties.
  base::Status Add(const std::string& id, std::string type, Json properties,
                   const std::string& owner);

  // The resource with that ID, or nullptr. For builders that extend what another added.
  Resource* Find(const std::string& id);
  bool Has(const std::string& id) const { return resources_.count(id) != 0; }

  // Parameters and conditions are shared; adding the same name twice keeps the first.
  void AddParameter(const std::string& name, Json definition);
  void AddCondition(const std::string& name, Json expression);
  bool HasParameter(const std::string& name) const { return parameters_.count(name) != 0; }

  // The whole template. Leaves the builder empty.
  Json Finish();

 private:
  std::map<std::string, Resource> resources_;
  std::map<std::string, std::string> owners_;
  std::map<std::string, Json> parameters_;
  std::map<std::string, Json> conditions_;
};

}  // namespace ecsync::cfn
