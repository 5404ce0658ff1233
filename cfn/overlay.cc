#include "cfn/overlay.h"

namespace ecsync::cfn {
namespace {

base::Status Merge(Json& target, const Json& overlay, const std::string& path) {
  for (const auto& [key, value] : overlay.items()) {
    const std::string here = path + "/" + key;
    if (key.size() > 1 && key.back() == '+') {
      const std::string name = key.substr(0, key.size() - 1);
      if (!value.is_array()) {
        return base::InvalidError("x-aws-cloudformation" + here +
                                  ": an append (+) needs a sequence");
      }
      Json& existing = target[name];
      if (existing.is_null()) existing = Json::array();
      if (!existing.is_array()) {
        return base::InvalidError("x-aws-cloudformation" + here + ": the template's " + name +
                                  " is not a sequence, so nothing can be appended to it");
      }
      for (const Json& item : value) existing.push_back(item);
      continue;
    }
    if (value.is_null()) {
      target.erase(key);
      continue;
    }
    auto it = target.find(key);
    if (value.is_object() && it != target.end() && it->is_object()) {
      ECSYNC_RETURN_IF_ERROR(Merge(*it, value, here));
    } else if (it != target.end()) {
      *it = value;
    } else {
      target[key] = value;
    }
  }
  return base::Status::Ok();
}

}  // namespace

base::Status MergeOverlay(Json& tmpl, const Json& overlay) {
  if (overlay.is_null()) return base::Status::Ok();
  if (!overlay.is_object() || !tmpl.is_object()) {
    return base::InvalidError("x-aws-cloudformation must be a mapping");
  }
  return Merge(tmpl, overlay, "");
}

}  // namespace ecsync::cfn
