#pragma once

// The build context of a service, archived from a commit for the `codebuild` builder:
// ecsync uploads it to S3 and AWS CodeBuild builds the image from it.
//
// Format: ZIP. CodeBuild's S3 source (ProjectSource, type S3, in the CodeBuild API
// reference) takes either "the path to the ZIP file that contains the source code" or a
// folder of objects; a tarball is not accepted. One object named by its hash is what makes
// the upload idempotent and cacheable, so a ZIP it is.
//
// What is in it: every file and symbolic link of the context directory at the commit, read
// straight from the git object database (no checkout, no temporary files), except what the
// context's ignore file excludes (artifacts/dockerignore.h). The ignore file is
// `<Dockerfile>.dockerignore` next to the Dockerfile when the commit has one (BuildKit's
// Dockerfile-specific ignore file), else `.dockerignore` at the context root. The Dockerfile
// and the ignore file itself are always sent, as Docker sends them.
//
// Determinism: entries sorted by path (byte order), fixed timestamps, modes from git only
// (0755 for executable files, 0644 for other files, symbolic links as links with mode 0777),
// no directory entries. The same tree gives the same bytes, so the SHA-256 of the archive
// names it in S3 (ContextKey) and an unchanged context is never uploaded twice.

#include <cstdint>
#include <string>

#include "base/result.h"

namespace ecsync::artifacts {

struct ContextArchiveLimits {
  uint64_t max_bytes = uint64_t{2} << 30;  // total uncompressed bytes of the files sent
  uint64_t max_files = 200'000;            // files and links sent
  int compression_level = -1;              // zlib's: 0 (store) to 9, -1 for its default (6)
};

struct ContextArchive {
  std::string zip;     // the archive's bytes
  std::string sha256;  // lower-case hex SHA-256 of `zip`
  uint64_t files = 0;  // entries: files and symbolic links
  uint64_t bytes = 0;  // their uncompressed size
};

// Archives the directory `context_dir` (repository-relative, normalized; "" for the root)
// of `commit` (40 hex digits) in the repository at `repository_path` (a work tree or a bare
// repository, e.g. a GitSource cache entry). `dockerfile` is the Dockerfile's path relative
// to the context (normalized; "Dockerfile" by default).
//
// Errors (messages name the context as "build context <dir>"):
//   kInvalid   the context is not a directory at the commit; the Dockerfile lies outside
//              it; a submodule would be sent (its content is not in this repository: name
//              it in the ignore file, or make it a directory); the ignore file is malformed;
//              the files sent exceed `limits`; the archive would pass 4 GiB (a ZIP's limit)
//   kNotFound  the repository cannot be opened, or the commit is not in it
//   kTransient reading git objects failed
// The archive is built in memory (the S3 client sends one body): a call holds the compressed
// context (the limits are checked from object headers before anything is compressed) and one
// blob at a time.
// Thread-safe: each call opens its own repository handle.
base::Result<ContextArchive> ArchiveBuildContext(const std::string& repository_path,
                                                 const std::string& commit,
                                                 const std::string& context_dir,
                                                 const std::string& dockerfile,
                                                 const ContextArchiveLimits& limits = {});

// The S3 key the archive is uploaded under: "ecsync/contexts/<sha256>.zip". Content-
// addressed, so an existing key need not be uploaded again.
std::string ContextKey(const ContextArchive& archive);

}  // namespace ecsync::artifacts
