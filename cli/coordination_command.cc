#include "cli/coordination_command.h"

#include <ostream>

#include "aws/dynamodb.h"
#include "base/clock.h"
#include "cli/aws_setup.h"
#include "coordination/lease_store.h"

namespace ecsync::cli {
namespace {

// DynamoDB makes an on-demand table ACTIVE within seconds; a minute means something is off.
constexpr int kWaitSteps = 60;
constexpr std::chrono::seconds kWaitStep{1};

}  // namespace

ExitCode RunCreateTable(const CreateTableCommand& command, const CommandContext& context) {
  if (!command.aws.stack_dir.empty()) {
    return Fail(context, base::InvalidError("coordination needs DynamoDB: drop --stack-dir"));
  }
  auto clients = MakeClients(command.aws, context.env);
  if (!clients.ok()) return Fail(context, clients.status());
  aws::DynamoDb& dynamodb = *clients->dynamodb;
  base::Status created = dynamodb.CreateTable(command.table, coordination::kPartitionKey);
  if (!created.ok() && created.kind() != base::ErrorKind::kConflict) {
    return Fail(context, created);
  }
  for (int step = 0;; ++step) {
    auto table = dynamodb.DescribeTable(command.table);
    if (!table.ok()) return Fail(context, table.status());
    if (table->partition_key != coordination::kPartitionKey) {
      return Fail(context, base::InvalidError("table " + command.table +
                                              " exists with the partition key \"" +
                                              table->partition_key + "\", not \"" +
                                              coordination::kPartitionKey + "\"; name another"));
    }
    if (table->status == "ACTIVE") {
      context.out << "table " << command.table << ": ACTIVE"
                  << (created.ok() ? "" : " (it existed)") << "\n";
      return kExitOk;
    }
    if (step == kWaitSteps) {
      return Fail(context, base::TransientError("table " + command.table + " is still " +
                                                table->status + " after a minute"));
    }
    base::SystemClock::Get()->SleepFor(kWaitStep);
  }
}

}  // namespace ecsync::cli
