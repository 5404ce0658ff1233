// Nested stacks: measuring a template, the split's driver, and the template-bucket check.
#include "cfn/nested.h"

#include <utility>

#include "cfn/nested_internal.h"

namespace ecsync::cfn {
namespace {

std::string Compact(const Json& value) {
  return value.dump(-1, ' ', false, Json::error_handler_t::replace);
}

// The size of `text` as a JSON string in nlohmann's serialization (ensure_ascii off).
// Text with bytes above 0x7F is serialized, so invalid UTF-8 counts as its replacement does.
size_t StringSize(const std::string& text) {
  size_t size = 2;
  for (unsigned char c : text) {
    if (c >= 0x80) return Compact(Json(text)).size();
    if (c == '"' || c == '\\' || c == '\b' || c == '\t' || c == '\n' || c == '\f' || c == '\r') {
      size += 2;
    } else {
      size += c <= 0x1F ? 6 : 1;
    }
  }
  return size;
}

// Compact(value).size() without building the text.
size_t CompactSize(const Json& value) {
  switch (value.type()) {
    case Json::value_t::object: {
      size_t size = value.empty() ? 2 : 1 + value.size();  // braces and commas
      for (auto it = value.begin(); it != value.end(); ++it) {
        size += StringSize(it.key()) + 1 + CompactSize(it.value());
      }
      return size;
    }
    case Json::value_t::array: {
      size_t size = value.empty() ? 2 : 1 + value.size();
      for (const Json& item : value) size += CompactSize(item);
      return size;
    }
    case Json::value_t::string:
      return StringSize(value.get_ref<const std::string&>());
    case Json::value_t::boolean:
      return value.get<bool>() ? 4 : 5;
    case Json::value_t::null:
      return 4;
    case Json::value_t::number_integer:
      return std::to_string(value.get<int64_t>()).size();
    case Json::value_t::number_unsigned:
      return std::to_string(value.get<uint64_t>()).size();
    default:
      return Compact(value).size();
  }
}

}  // namespace

namespace nested_internal {

std::string Figure(size_t n) {
  std::string digits = std::to_string(n);
  std::string out;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out.push_back(',');
    out.push_back(digits[i]);
  }
  return out;
}

base::Result<NestedTemplates> Splitter::Run(const TemplateUrlFunction& template_url) {
  Index();
  Group();
  // Shared resources nothing refers to, last first: what moves out when the parent is full.
  std::vector<size_t> leaves;
  for (size_t i = resources_.size(); i-- > 0;) {
    if (resources_[i].unit < 0 && !resources_[i].referred) leaves.push_back(i);
  }
  size_t moved = 0;
  size_t reserve = limits_.max_template_bytes / 20;
  for (int attempt = 0; attempt < 64; ++attempt) {
    for (size_t u = 0; u < units_.size(); ++u) {
      Unit& unit = units_[u];
      unit.bytes = 0;
      unit.externals.clear();
      unit.after.clear();
      for (size_t i : unit.members) {
        const ResourceInfo& info = resources_[i];
        unit.bytes += info.bytes;
        for (const Reference& ref : info.uses.refs) {
          auto it = index_.find(ref.target);
          const int home = it == index_.end() ? -1 : resources_[it->second].unit;
          if (home == static_cast<int>(u)) continue;
          unit.externals.insert(ref.target + "." + ref.attribute);
          if (home >= 0) unit.after.insert(static_cast<size_t>(home));
        }
        // DependsOn costs no parameter, only an order.
        for (const std::string& dependency : info.depends_on) {
          const int home = resources_[index_.at(dependency)].unit;
          if (home >= 0 && home != static_cast<int>(u))
            unit.after.insert(static_cast<size_t>(home));
        }
      }
    }
    const size_t budget = limits_.max_template_bytes > reserve
                              ? limits_.max_template_bytes - reserve
                              : limits_.max_template_bytes / 2;
    std::vector<int> child_of;
    ECSYNC_RETURN_IF_ERROR(Pack(UnitOrder(), budget, &child_of));
    parameter_names_.clear();
    taken_names_.clear();
    taken_names_ = declared_.resources;
    taken_names_.insert(declared_.parameters.begin(), declared_.parameters.end());
    ECSYNC_RETURN_IF_ERROR(Build(child_of));
    // Children first (their outputs are complete once Build returns).
    NestedTemplates out;
    bool child_over = false;
    for (size_t k = 1; k < drafts_.size(); ++k) {
      ChildStack child;
      child.logical_id = drafts_[k].id;
      child.tmpl = Assemble(drafts_[k]);
      child.body = Compact(child.tmpl);
      if (child.body.size() > limits_.max_template_bytes ||
          drafts_[k].parameters.size() > limits_.max_parameters ||
          drafts_[k].outputs.size() > limits_.max_outputs) {
        child_over = true;
        break;
      }
      out.children.push_back(std::move(child));
    }
    if (child_over) {
      reserve *= 2;
      if (reserve >= limits_.max_template_bytes) break;
      continue;
    }
    out.parent = AssembleParent();
    const size_t parent_resources = out.parent["Resources"].size();
    const size_t parent_bytes = Compact(out.parent).size();
    if (parent_resources > limits_.max_resources || parent_bytes > limits_.max_template_bytes) {
      // Move shared leaves out of the parent: enough for the resources over, and for bytes
      // over until their sizes add up.
      size_t need_count =
          parent_resources > limits_.max_resources ? parent_resources - limits_.max_resources : 0;
      size_t need_bytes =
          parent_bytes > limits_.max_template_bytes ? parent_bytes - limits_.max_template_bytes : 0;
      if (moved == leaves.size()) {
        return base::InvalidError(
            "the template cannot be split into nested stacks: the parent stack keeps " +
            Figure(parent_resources) + " resources and " + Figure(parent_bytes) +
            " bytes of shared resources (cluster, networks, load balancer, ...) and nested "
            "stacks, over the limits of " +
            Figure(limits_.max_resources) + " resources and " + Figure(limits_.max_template_bytes) +
            " bytes per stack");
      }
      size_t freed_count = 0;
      size_t freed_bytes = 0;
      while (moved < leaves.size() && (freed_count < need_count || freed_bytes < need_bytes)) {
        ResourceInfo& leaf = resources_[leaves[moved++]];
        leaf.unit = static_cast<int>(units_.size());
        units_.push_back(Unit{"resource " + leaf.id, {leaves[moved - 1]}, 0, {}, {}});
        ++freed_count;
        freed_bytes += leaf.bytes;
      }
      continue;
    }
    // Final: now the children get their URLs.
    Json& parent_resources_json = out.parent["Resources"];
    for (size_t k = 0; k < out.children.size(); ++k) {
      ChildStack& child = out.children[k];
      child.url = template_url(k + 1, child.body);
      parent_resources_json[child.logical_id]["Properties"]["TemplateURL"] = child.url;
    }
    return out;
  }
  return base::InvalidError("the template cannot be split into nested stacks of at most " +
                            Figure(limits_.max_template_bytes) + " bytes each");
}

}  // namespace nested_internal

namespace {

using nested_internal::Figure;
using nested_internal::Splitter;

// The template's figures as MeasureTemplate gives them, and the size of each resource (the
// split's packing needs them). Each entry of `resource_bytes` counts `"id":{...}` and the
// comma after it.
TemplateFigures Sizes(const Json& tmpl, std::vector<size_t>* resource_bytes) {
  TemplateFigures figures;
  figures.bytes = 2 + (tmpl.empty() ? 0 : tmpl.size() - 1);  // braces and commas
  for (auto it = tmpl.begin(); it != tmpl.end(); ++it) {
    figures.bytes += StringSize(it.key()) + 1;
    if (it.key() != "Resources" || !it->is_object()) {
      figures.bytes += CompactSize(it.value());
      continue;
    }
    figures.resources = it->size();
    figures.bytes += it->empty() ? 2 : 1;  // the trailing comma of the last entry is the '}'
    for (auto r = it->begin(); r != it->end(); ++r) {
      resource_bytes->push_back(StringSize(r.key()) + 1 + CompactSize(r.value()) + 1);
      figures.bytes += resource_bytes->back();
    }
  }
  return figures;
}

}  // namespace

TemplateFigures MeasureTemplate(const Json& tmpl) {
  TemplateFigures figures;
  if (auto it = tmpl.find("Resources"); it != tmpl.end() && it->is_object()) {
    figures.resources = it->size();
  }
  figures.bytes = CompactSize(tmpl);
  return figures;
}

bool NeedsTemplateBucket(const Json& tmpl, const StackLimits& limits) {
  const TemplateFigures figures = MeasureTemplate(tmpl);
  return figures.bytes > limits.max_inline_bytes || figures.resources > limits.max_resources;
}

base::Status CheckTemplateBucket(std::string_view stack, const Json& tmpl, bool bucket_configured,
                                 const StackLimits& limits) {
  if (bucket_configured) return base::Status::Ok();
  const TemplateFigures figures = MeasureTemplate(tmpl);
  const bool nested =
      figures.resources > limits.max_resources || figures.bytes > limits.max_template_bytes;
  if (!nested && figures.bytes <= limits.max_inline_bytes) return base::Status::Ok();
  std::string why;
  if (nested) {
    why = figures.resources > limits.max_resources
              ? "more than the " + Figure(limits.max_resources) + " resources"
              : "more than the " + Figure(limits.max_template_bytes) + " bytes";
    why +=
        " CloudFormation takes per stack, so it is split into nested stacks whose templates "
        "go through S3";
  } else {
    why = "over the " + Figure(limits.max_inline_bytes) +
          " bytes CloudFormation takes inline, so it goes through S3";
  }
  return base::InvalidError("stack " + std::string(stack) + ": the template has " +
                            Figure(figures.resources) + " resources and " + Figure(figures.bytes) +
                            " bytes, " + why +
                            "; set aws.template_bucket in the config file (or "
                            "--template-bucket) to an S3 bucket for them");
}

base::Result<NestedTemplates> SplitIntoNestedStacks(const Json& tmpl,
                                                    const TemplateUrlFunction& template_url,
                                                    const StackLimits& limits) {
  if (!tmpl.is_object() || !tmpl.contains("Resources") || !tmpl["Resources"].is_object()) {
    return base::InvalidError("the template has no Resources object to split");
  }
  try {
    std::vector<size_t> resource_bytes;
    const TemplateFigures figures = Sizes(tmpl, &resource_bytes);
    if (figures.resources <= limits.max_resources && figures.bytes <= limits.max_template_bytes) {
      return NestedTemplates{tmpl, {}};
    }
    Splitter splitter(tmpl, limits, std::move(resource_bytes));
    return splitter.Run(template_url);
  } catch (const nlohmann::json::exception& e) {
    return base::InternalError(std::string("splitting the template: ") + e.what());
  }
}

}  // namespace ecsync::cfn
