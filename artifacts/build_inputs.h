#pragma once

// What an image built by CI from a service's `build:` section depends on, and the tag and
// repository name derived from it (the `external` builder: ecsync never builds, it names the
// image CI must push and waits for it).
//
// The tag is a content hash of the build inputs at the commit, so two commits that change
// nothing the build reads share a tag (CI pushes once, and a redeploy reuses the image),
// and any change to the context or the build settings names a new image. Rules:
//
//   tag = first 32 hex digits of SHA-256(CanonicalEncoding())
//
// over these fields, in this order, each written as "<name> <byte length>:<value>\n" after
// the line "ecsync-image-inputs 1\n" (lengths make the encoding unambiguous whatever bytes a
// value holds):
//   context-tree        git tree ID of the context directory at the commit
//   dockerfile          the Dockerfile path relative to the context, normalized
//                       ("./docker/../Dockerfile" -> "Dockerfile"; default "Dockerfile");
//                       "inline" for `dockerfile_inline`
//   dockerfile-object   git blob ID of that file at the commit (so a Dockerfile outside the
//                       context counts too), or the SHA-256 hex of `dockerfile_inline`
//   target              `build.target` ("" when not set)
//   arg (repeated)      each `build.args` entry sorted by name: "NAME=value" with the value
//                       as interpolated by the loader, or "NAME" alone for an arg with no
//                       value (`- NAME` / `NAME:`, left to the builder's environment)
//   platform            the service's `platform`, else `build.platforms` sorted and joined
//                       with ","; "" when neither is set
//   context (repeated)  each `build.additional_contexts` entry sorted by name:
//                       "name=tree:<tree ID>" for a directory in the repository, or
//                       "name=<value>" as written for anything else (docker-image://...,
//                       a URL, another service's target)
//
// Labels, cache settings, tags, ssh, secrets, network, pull and no_cache are left out: they
// change how an image is built or annotated, not what it contains.
//
// Repository names: DefaultRepositoryName(project, service) is "<project>/<service>",
// lower-cased, every character outside [a-z0-9._-] replaced by '-', separator runs
// collapsed to their first character, separators trimmed from each component's ends; the
// result follows ECR's rule ((?:[a-z0-9]+(?:[._-][a-z0-9]+)*/)*[a-z0-9]+(?:[._-][a-z0-9]+)*,
// 2 to 256 characters). A configured override is used as written after IsValidRepository.

#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "artifacts/git_objects.h"
#include "base/result.h"
#include "compose/model.h"

namespace ecsync::artifacts {

struct BuildInputs {
  std::string service;
  std::string context;  // repository-relative, normalized; "" for the repository root
  std::string context_tree;
  std::string dockerfile;  // relative to the context, normalized; "inline" for dockerfile_inline
  std::string dockerfile_object;
  std::string target;
  std::map<std::string, std::optional<std::string>> args;
  std::string platform;
  std::map<std::string, std::string> additional_contexts;  // name -> "tree:<id>" or as written

  // The hashed bytes (see the header comment). Deterministic; no I/O.
  std::string CanonicalEncoding() const;
  // First 32 lower-case hex digits of SHA-256(CanonicalEncoding()): a valid image tag.
  std::string Tag() const;
};

// Reads `service`'s build inputs. `repository_root` is the loader's spelling of the
// repository root, against which the resolved `build.context` is made repository-relative:
// "" when the project was loaded from a commit through reconcile::GitFileReader (paths are
// already repository-relative), the work tree's path (DiskFileReader::RootFor) when loaded
// from disk. `objects` answers for the commit being deployed.
//
// REQUIRES: service.build has a value.
// Errors: kInvalid, as "<file>:<line>:<col>: services.<name>.build.<key>: <what to do>", when
// the context is a URL, absolute, outside the repository, missing at the commit or not a
// directory, or the Dockerfile is outside the repository or missing; otherwise the lookup's
// own errors.
base::Result<BuildInputs> ReadBuildInputs(const compose::Service& service,
                                          const std::string& repository_root,
                                          const GitObjectLookup& objects);

// "<project>/<service>" made a valid ECR repository name (see the header comment). kInvalid
// when nothing valid is left (a name of separators only).
base::Result<std::string> DefaultRepositoryName(std::string_view project, std::string_view service);

}  // namespace ecsync::artifacts
