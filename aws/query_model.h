#pragma once

#include <functional>
#include <string>

#include <nlohmann/json.hpp>
#include <pugixml.hpp>

#include "aws/query.h"
#include "base/result.h"

namespace ecsync::aws {

// The AWS Query protocol driven by botocore's JSON shape definitions (the "shapes" object
// of a service-2.json or a protocol test). Values are JSON: structures are objects, lists
// arrays, maps objects, timestamps epoch seconds (number) or strings, blobs raw byte strings.
// Supports structures, lists (member and flattened, renamed members), maps (entry and
// flattened, renamed key/value), strings, enums, booleans, integers, longs, floats, doubles
// (incl. "NaN"/"Infinity" strings), timestamps (iso8601, unixTimestamp, rfc822) and blobs
// (base64), and idempotency-token auto-fill.
class QueryModel {
 public:
  using Json = nlohmann::ordered_json;

  // `shapes` maps shape names to definitions; it is copied.
  explicit QueryModel(Json shapes);

  // Generates idempotency tokens for members marked idempotencyToken that the caller left
  // out. Default: a random UUID v4.
  void set_token_generator(std::function<std::string()> generator) {
    token_generator_ = std::move(generator);
  }

  // Flattens `params` (an object) for input shape `shape_name` into Query parameters, in
  // the order the object lists them. kInvalid for unknown members or type mismatches.
  base::Result<QueryParams> Serialize(const std::string& shape_name, const Json& params) const;

  // Parses the children of `node` (the <ActionResult> element, or the <Error> element for
  // an error shape) as structure `shape_name`. Absent members are left out.
  base::Result<Json> Parse(const std::string& shape_name, pugi::xml_node node) const;

 private:
  // A member reference merged with the shape it targets (member traits win).
  base::Result<Json> Resolve(const Json& ref) const;
  base::Status SerializeValue(const Json& shape, const Json& value, const std::string& prefix,
                              QueryParams* out) const;
  base::Result<Json> ParseValue(const Json& shape, pugi::xml_node node) const;
  base::Result<Json> ParseFlattened(const Json& shape,
                                    const std::vector<pugi::xml_node>& nodes) const;
  base::Result<Json> ParseStructure(const Json& shape, pugi::xml_node node) const;

  Json shapes_;
  std::function<std::string()> token_generator_;
};

// A random RFC 4122 version-4 UUID.
std::string RandomUuid();

}  // namespace ecsync::aws
