#pragma once

#include <string>

#include "cli/commands.h"
#include "cli/exit_codes.h"

namespace ecsync::cli {

struct CreateTableCommand {
  std::string table;  // --table
  AwsFlags aws;       // --region, --endpoint-url, --profile
};

// `ecsync coordination create-table --table T`: creates the DynamoDB table replicas share
// (partition key "pk", a string; on-demand billing) and waits until it is ACTIVE. A table of
// that name keyed by "pk" already there is success ("exists"); one keyed otherwise is
// kExitBadConfig. Prints one line on `out`, e.g. "table ecsync-coordination: ACTIVE".
ExitCode RunCreateTable(const CreateTableCommand& command, const CommandContext& context);

}  // namespace ecsync::cli
