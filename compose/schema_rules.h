#pragma once

// The Compose Specification's structure as data: for each place in a compose file, the value
// types it accepts and, for mappings, which keys. Written out from compose-spec.json; tests
// compare the two. ValidateSchema walks a file against it. For compose/ only.

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace ecsync::compose::internal {

// Value types a key accepts; a shape may accept several.
enum : uint32_t {
  kStr = 1 << 0,
  kInt = 1 << 1,
  kNum = 1 << 2,  // any number, integers included
  kBool = 1 << 3,
  kNull = 1 << 4,
  kList = 1 << 5,
  kMap = 1 << 6,
  kAny = kStr | kInt | kNum | kBool | kNull | kList | kMap,
};

// Which keys an open mapping accepts (the schema's patternProperties).
enum class KeyRule {
  kAny,
  kName,      // ^[a-zA-Z0-9._-]+$: services, networks, volumes, secrets, configs, models, ...
  kLower,     // ^[a-z]+$: ulimits
  kNonEmpty,  // .+: list_or_dict mappings, driver_opts, logging options, ...
};

struct Shape {
  uint32_t types = kAny;
  // kMap: when `closed`, only these keys and x-* keys are allowed.
  bool closed = false;
  std::vector<std::pair<std::string, const Shape*>> fields;
  const Shape* values = nullptr;      // kMap when open: each value; nullptr accepts anything
  const Shape* items = nullptr;       // kList: each item; nullptr accepts anything
  std::vector<std::string> one_of;    // kStr: allowed values, empty when free
  std::vector<std::string> required;  // kMap: keys that must be present
  KeyRule keys = KeyRule::kAny;       // kMap when open: which keys are allowed
};

// The shapes ValidateSchema and KnownKeys start from.
struct SchemaRules {
  const Shape* top = nullptr;
  const Shape* service = nullptr;
  const Shape* network = nullptr;
  const Shape* volume = nullptr;
  const Shape* secret = nullptr;
  const Shape* config = nullptr;
  const Shape* deployment = nullptr;
  const Shape* healthcheck = nullptr;
};

// The rules, built on first use and never freed (they live as long as the program).
// Thread-safe.
const SchemaRules& GetSchemaRules();

}  // namespace ecsync::compose::internal
