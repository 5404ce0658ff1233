#pragma once

// The cfn-lint and AWS CLI zygotes (docs/testing.md): under ctest, cfn-lint's and the AWS
// CLI's own entry points run in a fork of one warm process instead of a new process each.
// support.cc's CfnLint and MotoServer::Aws use them; tests that check them, or run the CLI
// with an environment of their own, call these.

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "tests/support/support.h"

namespace ecsync::testing {

// `cfn-lint --format parseable -- path` run by the cfn-lint zygote
// (tests/support/cfn_lint_zygote.py); nullopt when no zygote answers (outside ctest).
std::optional<CommandResult> CfnLintInZygote(const std::string& path);

// `aws ARGS...` as RunCommand would run it (`env` over this process's environment), in a fork
// of the AWS CLI zygote (tests/support/aws_cli_zygote.py) when one answers: the same client,
// without paying its start-up of over a CPU-second per call.
CommandResult RunAws(const std::vector<std::string>& args,
                     const std::map<std::string, std::string>& env = {});
// The same through the zygote only; nullopt when no zygote answers.
std::optional<CommandResult> RunAwsInZygote(const std::vector<std::string>& args,
                                            const std::map<std::string, std::string>& env);

}  // namespace ecsync::testing
