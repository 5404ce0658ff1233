#pragma once

// Building blocks for CloudFormation JSON: intrinsic functions, tags, and objects built
// by appending keys in the order given. nlohmann's ordered_json finds keys by linear
// search, so building with operator[] or initializer lists costs O(keys) per key and
// copies every nested value; Obj appends without searching and moves. Thread-compatible.

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace ecsync::cfn {

using Json = nlohmann::ordered_json;

Json Ref(std::string_view id);                                 // {"Ref": id}
Json GetAtt(std::string_view id, std::string_view attribute);  // {"Fn::GetAtt": [id, attr]}
Json Sub(std::string_view text);                               // {"Fn::Sub": text}
Json Join(std::string_view separator, Json parts);             // {"Fn::Join": [sep, parts]}
Json Tag(std::string_view key, std::string_view value);        // {"Key": k, "Value": v}

// A JSON object under construction. Each key must be added once: Add does not look for
// an existing key (that is what makes it cheap). Members gather in a vector of movable
// pairs and move into the object once, at Take(): ordered_json's own storage holds
// `const` keys, so growing it copies every member, nested values included.
class Obj {
 public:
  Obj() { members_.reserve(8); }

  Obj& Add(std::string_view key, Json value) & {
    members_.emplace_back(std::string(key), std::move(value));
    return *this;
  }
  Obj&& Add(std::string_view key, Json value) && {
    members_.emplace_back(std::string(key), std::move(value));
    return std::move(*this);
  }
  bool empty() const { return members_.empty(); }
  Json Take() &&;
  operator Json() && { return std::move(*this).Take(); }  // NOLINT: implicit by design

 private:
  std::vector<std::pair<std::string, Json>> members_;
};

// A JSON array of the given values, moved in.
template <typename... Values>
Json Arr(Values&&... values) {
  Json out = Json::array();
  auto& items = out.get_ref<Json::array_t&>();
  items.reserve(sizeof...(values));
  (items.emplace_back(std::forward<Values>(values)), ...);
  return out;
}

// Appends `key: value` to the object `target` without a key search.
// REQUIRES: target is an object without `key`.
void AppendMember(Json& target, std::string_view key, Json value);

}  // namespace ecsync::cfn
