#include "aws/stack_files_rules.h"

#include <algorithm>

namespace ecsync::aws {

bool ValidStackName(const std::string& name) {
  if (name.empty() || name.size() > 128) return false;
  auto alpha = [](char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); };
  if (!alpha(name[0])) return false;
  return std::all_of(name.begin(), name.end(),
                     [&](char c) { return alpha(c) || (c >= '0' && c <= '9') || c == '-'; });
}

base::Status InvalidNameError(const std::string& name, const char* field) {
  return base::InvalidError("1 validation error detected: Value '" + name + "' at '" + field +
                            "' failed to satisfy constraint: Member must satisfy regular "
                            "expression pattern: [a-zA-Z][-a-zA-Z0-9]* and have length less "
                            "than or equal to 128");
}

bool ParseStackId(const std::string& id, std::string* name, std::string* uuid) {
  if (!id.starts_with(kStackIdPrefix)) return false;
  std::string rest = id.substr(sizeof(kStackIdPrefix) - 1);
  size_t slash = rest.find('/');
  if (slash == std::string::npos) return false;
  *name = rest.substr(0, slash);
  *uuid = rest.substr(slash + 1);
  return ValidStackName(*name) && !uuid->empty() &&
         std::all_of(uuid->begin(), uuid->end(), [](char c) {
           return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || c == '-';
         });
}

bool IsUpdatable(const std::string& status) {
  return status == "CREATE_COMPLETE" || status == "UPDATE_COMPLETE" ||
         status == "UPDATE_ROLLBACK_COMPLETE" || status == "IMPORT_COMPLETE" ||
         status == "IMPORT_ROLLBACK_COMPLETE";
}

base::Status CannotUpdate(const StackRecord& record) {
  return base::ConflictError("Stack:" + record.id + " is in " + record.status +
                             " state and can not be updated.");
}

std::vector<StoredParameter> Masked(const std::vector<ResolvedParameter>& parameters) {
  std::vector<StoredParameter> out;
  out.reserve(parameters.size());
  for (const ResolvedParameter& p : parameters) {
    out.push_back({p.key, p.no_echo ? kMaskedValue : p.value, p.no_echo});
  }
  return out;
}

}  // namespace ecsync::aws
