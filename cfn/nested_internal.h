#pragma once

// What the files of the nested-stack split share: references and what a piece of template
// uses, the walks that collect and rewrite them (CollectUses, Rewrite), and the Splitter that
// carries one split. Only cfn/nested*.cc include it; cfn/nested.h is the API.
//
// The Splitter's steps are by job: nested_partition.cc groups resources into units and packs
// them into children (Index, Group, UnitOrder, Pack); nested_references.cc finds what a
// resource refers to and turns references that cross stacks into parameters and outputs
// (Build, CheckNoCycle); nested_assembly.cc writes the child and parent templates
// (Assemble, AssembleParent); nested.cc runs them until every stack fits (Run).

#include <cstddef>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <tuple>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

#include "base/result.h"
#include "cfn/json.h"
#include "cfn/nested.h"

namespace ecsync::cfn::nested_internal {

// `n` with thousands separated by commas, for messages: "1,000,000".
std::string Figure(size_t n);

// A reference to a resource or template parameter; `attribute` is empty for Ref.
struct Reference {
  std::string target;
  std::string attribute;
  bool operator<(const Reference& o) const {
    return std::tie(target, attribute) < std::tie(o.target, o.attribute);
  }
};

// What a piece of template uses besides pseudo-parameters.
struct Uses {
  std::set<Reference> refs;
  std::set<std::string> conditions;
  std::set<std::string> mappings;
};

// The reference of a Fn::GetAtt argument ("X.Attr" or [X, Attr]); nullopt for any other form.
std::optional<Reference> GetAttOf(const Json& argument);

// Calls `visit(begin, end, name)` for each `${name}` of a Fn::Sub text (not `${!literal}`).
template <typename Visit>
void ForEachSubName(const std::string& text, Visit visit) {
  size_t pos = 0;
  while ((pos = text.find("${", pos)) != std::string::npos) {
    size_t close = text.find('}', pos + 2);
    if (close == std::string::npos) return;
    if (text[pos + 2] != '!') visit(pos, close + 1, text.substr(pos + 2, close - pos - 2));
    pos = close + 1;
  }
}

// The reference of a `${name}` of Fn::Sub: "X" is a Ref, "X.Attr" a GetAtt.
Reference SubReference(const std::string& name);

// The logical names a template declares.
struct Declared {
  std::unordered_set<std::string> resources;
  std::unordered_set<std::string> parameters;
  std::unordered_set<std::string> conditions;
  std::unordered_set<std::string> mappings;

  bool Referable(const std::string& name) const {
    return resources.count(name) != 0 || parameters.count(name) != 0;
  }
};

// Adds to `uses` the resources and parameters of `declared` that `value` refers to (Ref,
// Fn::GetAtt, Fn::Sub), and the conditions and mappings it names. DependsOn is not read.
void CollectUses(const Json& value, const Declared& declared, Uses* uses);

// Replaces references for which `replace(ref)` gives a value. In Fn::Sub text a
// replacement {"Ref": name} becomes `${name}`; any other replacement becomes a variable
// of the Sub named after the reference's parameter name (`name_of(ref)`).
template <typename Replace, typename NameOf>
void Rewrite(Json& value, const Replace& replace, const NameOf& name_of) {
  if (value.is_array()) {
    for (Json& item : value) Rewrite(item, replace, name_of);
    return;
  }
  if (!value.is_object()) return;
  if (value.size() == 1) {
    auto it = value.begin();
    const std::string& key = it.key();
    Json& arg = it.value();
    if (key == "Ref" && arg.is_string()) {
      std::optional<Json> with = replace(Reference{arg.get<std::string>(), ""});
      if (with) value = std::move(*with);
      return;
    }
    if (key == "Fn::GetAtt") {
      std::optional<Reference> ref = GetAttOf(arg);
      if (!ref) return Rewrite(arg, replace, name_of);
      std::optional<Json> with = replace(*ref);
      if (with) value = std::move(*with);
      return;
    }
    if (key == "Fn::Sub") {
      Json* text = &arg;
      Json* variables = nullptr;
      if (arg.is_array() && arg.size() == 2) {
        text = &arg[0];
        variables = &arg[1];
        Rewrite(*variables, replace, name_of);
      }
      if (!text->is_string()) return Rewrite(*text, replace, name_of);
      const std::string original = text->get<std::string>();
      std::string out;
      std::vector<std::pair<std::string, Json>> added;
      size_t copied = 0;
      ForEachSubName(original, [&](size_t begin, size_t end, const std::string& name) {
        if (variables != nullptr && variables->is_object() && variables->contains(name)) return;
        Reference ref = SubReference(name);
        std::optional<Json> with = replace(ref);
        if (!with && ref.attribute.empty()) return;
        out.append(original, copied, begin - copied);
        copied = end;
        if (!with) {
          // Kept as is (a reference the target stack declares under its own name).
          out.append(original, begin, end - begin);
          return;
        }
        if (with->is_object() && with->size() == 1 && with->contains("Ref")) {
          out += "${" + (*with)["Ref"].get<std::string>() + "}";
          return;
        }
        const std::string variable = name_of(ref);
        out += "${" + variable + "}";
        added.emplace_back(variable, std::move(*with));
      });
      if (copied == 0) return;
      out.append(original, copied, std::string::npos);
      *text = std::move(out);
      if (!added.empty()) {
        if (variables == nullptr) {
          value = Obj().Add("Fn::Sub", Arr(std::move(*text), Json::object()));
          variables = &value["Fn::Sub"][1];
        }
        for (auto& [name, with] : added) {
          if (!variables->contains(name)) (*variables)[name] = std::move(with);
        }
      }
      return;
    }
  }
  for (auto it = value.begin(); it != value.end(); ++it) {
    if (it.key() == "DependsOn" || it.key() == "Condition") continue;
    Rewrite(it.value(), replace, name_of);
  }
}

// The names in `entry`'s DependsOn (a string or a list), in order.
std::vector<std::string> DependsOnOf(const Json& entry);

struct ResourceInfo {
  std::string id;
  const Json* entry = nullptr;
  Uses uses;
  std::vector<std::string> depends_on;
  std::string condition;  // the resource's own Condition
  size_t bytes = 0;       // of `"id":{...},` in compact JSON
  int unit = -1;          // -1: shared
  bool referred = false;  // another resource refers to it or depends on it
};

struct Unit {
  std::string name;             // what errors call it: `service "web"`, `resource "Back80Ingress"`
  std::vector<size_t> members;  // resource indexes, in template order
  size_t bytes = 0;
  std::set<std::string> externals;  // "target.attribute" of what it uses outside itself
  std::set<size_t> after;           // units it refers to
};

// One stack of the split while it is built.
struct StackDraft {
  std::string id;                          // the child's stack resource ID; empty for the parent
  std::vector<size_t> members;             // resource indexes in template order
  std::map<std::string, Json> parameters;  // name -> definition (children)
  std::map<std::string, Json> passed;      // name -> value the parent passes (children)
  std::set<std::string> depends_on;        // parent resources and stacks (children)
  std::map<std::string, Json> outputs;     // name -> value (children)
  std::set<std::string> conditions;
  std::set<std::string> mappings;
};

// One split of a template over the limits: SplitIntoNestedStacks makes one per call, so it is
// never shared between threads. Its methods live in the files named at the top.
class Splitter {
 public:
  // `resource_bytes[i]`: the size of the i-th resource as in Sizes().
  Splitter(const Json& tmpl, const StackLimits& limits, std::vector<size_t> resource_bytes)
      : tmpl_(tmpl), limits_(limits), resource_bytes_(std::move(resource_bytes)) {}

  base::Result<NestedTemplates> Run(const TemplateUrlFunction& template_url);

 private:
  void Index();
  void Group();
  std::vector<size_t> UnitOrder() const;
  base::Status Pack(const std::vector<size_t>& order, size_t budget, std::vector<int>* child_of);
  base::Status Build(const std::vector<int>& child_of_unit);
  Json Assemble(const StackDraft& draft) const;
  Json AssembleParent();
  base::Status CheckNoCycle() const;

  bool IsList(const Reference& ref) const;
  const std::string& ParameterName(const Reference& ref);
  std::string StackIdOf(int stack) const { return "Services" + std::to_string(stack) + "Stack"; }
  // The value of `ref` as the stack holding its target sees it, for passing to another.
  Json ValueAtHome(const Reference& ref) const;
  Json PassedValue(const Reference& ref, int home);
  std::set<std::string> ConditionClosure(std::set<std::string> conditions,
                                         std::set<std::string>* parameters) const;

  const Json& tmpl_;
  const StackLimits& limits_;
  const std::vector<size_t> resource_bytes_;
  Declared declared_;
  std::vector<ResourceInfo> resources_;
  std::unordered_map<std::string, size_t> index_;
  std::map<std::string, Uses> condition_uses_;
  std::vector<Unit> units_;
  std::map<Reference, std::string> parameter_names_;
  std::unordered_set<std::string> taken_names_;

  // The current split: where each resource is (0 the parent, n ServicesNStack).
  std::vector<int> stack_of_;
  std::vector<StackDraft> drafts_;  // [0] the parent
  Json parent_outputs_;
};

}  // namespace ecsync::cfn::nested_internal
