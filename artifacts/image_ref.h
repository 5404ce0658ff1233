#pragma once

// Container image references as the Docker distribution grammar spells them:
//
//   [<registry>/]<repository>[:<tag>][@<digest>]
//
// - registry: a host name or IPv4 address, optionally ":<port>". The first '/'-separated
//   component is the registry when it holds a '.' or a ':' or is "localhost"; otherwise the
//   reference names Docker Hub ("docker.io", and a one-component repository gets "library/").
// - repository: one or more '/'-separated components, each lower-case [a-z0-9] runs joined by
//   one '.', one or two '_' or any number of '-'; at most 255 characters in all.
// - tag: [A-Za-z0-9_][A-Za-z0-9_.-]{0,127}.
// - digest: "sha256:" and 64 lower-case hex digits, or "sha512:" and 128.
//
// Plain values; no I/O.

#include <optional>
#include <string>
#include <string_view>

#include "base/result.h"

namespace ecsync::artifacts {

struct ImageRef {
  std::string registry;    // host[:port]; never empty in a parsed reference
  std::string repository;  // "team/web"
  std::string tag;         // empty when not given
  std::string digest;      // "sha256:<hex>"; empty when not given

  // "<registry>/<repository>[:<tag>][@<digest>]".
  std::string ToString() const;
  // "<registry>/<repository>@<digest>": the form a task definition pins (no tag, so the
  // reference cannot be read as naming whatever the tag points to later).
  // REQUIRES: !digest.empty()
  std::string Pinned() const;

  bool operator==(const ImageRef&) const = default;
};

// Parses `text`. kInvalid (naming what is wrong) when it does not follow the grammar above.
base::Result<ImageRef> ParseImageRef(std::string_view text);

bool IsValidRegistryHost(std::string_view host);
bool IsValidRepository(std::string_view repository);
bool IsValidTag(std::string_view tag);
bool IsValidDigest(std::string_view digest);

// An Amazon ECR private registry: "<account>.dkr.ecr.<region>.amazonaws.com" (and the
// ".amazonaws.com.cn" partition, and the "dkr.ecr-fips" endpoints).
struct EcrRegistry {
  std::string account_id;  // 12 digits
  std::string region;      // "eu-west-1"
  bool operator==(const EcrRegistry&) const = default;
};

// The ECR registry `host` names, or nullopt when it is not one (any port makes it not one).
std::optional<EcrRegistry> ParseEcrRegistry(std::string_view host);
// "<account>.dkr.ecr.<region>.amazonaws.com" (".amazonaws.com.cn" for the cn-* regions).
std::string EcrRegistryHost(const std::string& account_id, const std::string& region);

}  // namespace ecsync::artifacts
