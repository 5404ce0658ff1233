#include "git/source.h"

namespace ecsync::git {

namespace {

base::Status NotSupported(const char* what) {
  return base::InternalError(std::string(what) + " is not supported by this GitSource");
}

}  // namespace

base::Result<std::string> GitSource::RemoteHead(const std::string& url, const std::string& ref) {
  return Fetch(url, ref);
}

base::Result<std::vector<std::string>> GitSource::ListFiles(const std::string&, const std::string&,
                                                            const std::string&) {
  return NotSupported("ListFiles");
}

base::Result<std::vector<std::string>> GitSource::ChangedPaths(const std::string&,
                                                               const std::string&,
                                                               const std::string&) {
  return NotSupported("ChangedPaths");
}

base::Result<std::string> GitSource::LocalRepository(const std::string&) {
  return NotSupported("LocalRepository");
}

base::Result<CommitSummary> GitSource::DescribeCommit(const std::string&, const std::string&) {
  return NotSupported("DescribeCommit");
}

base::Result<Verdict> GitSource::VerifyRevision(const std::string& url, const std::string& commit,
                                                const std::string& previous,
                                                const SignaturePolicy& policy) {
  ECSYNC_ASSIGN_OR_RETURN(const std::string repository, LocalRepository(url));
  return VerifyRevisionInRepository(repository, commit, previous, policy);
}

base::Result<std::optional<std::vector<TreeFile>>> GitSource::ReadTree(const std::string&,
                                                                       const std::string&,
                                                                       const std::string&, size_t) {
  return NotSupported("ReadTree");
}

}  // namespace ecsync::git
