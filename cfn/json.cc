#include "cfn/json.h"

namespace ecsync::cfn {

Json Ref(std::string_view id) { return Obj().Add("Ref", std::string(id)); }

Json GetAtt(std::string_view id, std::string_view attribute) {
  return Obj().Add("Fn::GetAtt", Arr(std::string(id), std::string(attribute)));
}

Json Sub(std::string_view text) { return Obj().Add("Fn::Sub", std::string(text)); }

Json Join(std::string_view separator, Json parts) {
  return Obj().Add("Fn::Join", Arr(std::string(separator), std::move(parts)));
}

Json Tag(std::string_view key, std::string_view value) {
  return Obj().Add("Key", std::string(key)).Add("Value", std::string(value));
}

Json Obj::Take() && {
  Json out = Json::object();
  auto& members = out.get_ref<Json::object_t&>();
  members.reserve(members_.size());
  for (auto& [key, value] : members_) {
    members.Json::object_t::Container::emplace_back(std::move(key), std::move(value));
  }
  members_.clear();
  return out;
}

void AppendMember(Json& target, std::string_view key, Json value) {
  auto& members = target.get_ref<Json::object_t&>();
  members.Json::object_t::Container::emplace_back(std::string(key), std::move(value));
}

}  // namespace ecsync::cfn
