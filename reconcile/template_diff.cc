#include "reconcile/template_diff.h"

#include <algorithm>
#include <set>

#include <nlohmann/json.hpp>

namespace ecsync::reconcile {

namespace {

using nlohmann::json;

std::string Shorten(const json& value) {
  std::string text = value.is_string() ? value.get<std::string>() : value.dump();
  constexpr size_t kMax = 120;
  if (text.size() > kMax) text = text.substr(0, kMax - 3) + "...";
  return text;
}

std::string TypeSuffix(const json& resource) {
  if (resource.is_object() && resource.contains("Type") && resource["Type"].is_string()) {
    return " (" + resource["Type"].get<std::string>() + ")";
  }
  return "";
}

// Objects are compared key by key; anything else (arrays included) as a whole value, since a
// list element has no stable identity to report against.
void Diff(const std::string& path, const json& before, const json& after,
          std::vector<std::string>* out) {
  if (before == after) return;
  if (before.is_object() && after.is_object()) {
    std::set<std::string> keys;
    for (auto it = before.begin(); it != before.end(); ++it) keys.insert(it.key());
    for (auto it = after.begin(); it != after.end(); ++it) keys.insert(it.key());
    for (const std::string& key : keys) {
      std::string child = path.empty() ? key : path + "." + key;
      // Entries directly under a section (Resources.X, Outputs.Y) are added or removed whole.
      bool entry = path == "Resources" || path == "Parameters" || path == "Outputs" ||
                   path == "Conditions" || path == "Mappings";
      if (!before.contains(key)) {
        out->push_back("+ " + child +
                       (entry ? TypeSuffix(after[key]) : ": " + Shorten(after[key])));
      } else if (!after.contains(key)) {
        out->push_back("- " + child +
                       (entry ? TypeSuffix(before[key]) : ": " + Shorten(before[key])));
      } else {
        Diff(child, before[key], after[key], out);
      }
    }
    return;
  }
  out->push_back("~ " + path + ": " + Shorten(before) + " -> " + Shorten(after));
}

}  // namespace

std::vector<std::string> DiffTemplates(const std::string& before, const std::string& after) {
  json a = json::parse(before, nullptr, false);
  json b = json::parse(after, nullptr, false);
  if (a.is_discarded() || b.is_discarded()) {
    return {"(the deployed template is not JSON; no line-by-line difference shown)"};
  }
  std::vector<std::string> lines;
  Diff("", a, b, &lines);
  return lines;
}

}  // namespace ecsync::reconcile
