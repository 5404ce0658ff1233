#pragma once

// Replicas of the coordinator against one real moto_server's DynamoDB, each with its own
// HTTP client that can be cut off (every request fails as a refused connection) and that
// records every request, and all on one FakeClock for their steady time.

#include <gtest/gtest.h>

#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "aws/client.h"
#include "aws/dynamodb.h"
#include "aws/http.h"
#include "base/clock.h"
#include "coordination/coordinator.h"
#include "tests/aws/moto_fixture.h"
#include "tests/support/fake_http_client.h"
#include "tests/support/support.h"

namespace ecsync::coordination {

inline constexpr char kTable[] = "ecsync-coordination";

struct TestReplica {
  std::shared_ptr<std::atomic<bool>> cut = std::make_shared<std::atomic<bool>>(false);
  // Runs as each request is sent, before `cut` is looked at (e.g. to move the clock while a
  // call is in flight); empty for none.
  using Hook = std::function<void(const aws::HttpRequest&)>;
  std::shared_ptr<Hook> on_request = std::make_shared<Hook>();
  std::shared_ptr<testing::FakeHttpClient> http;
  std::shared_ptr<aws::DynamoDb> dynamodb;
  std::unique_ptr<Coordinator> coordinator;

  // The writes (PutItem, UpdateItem, DeleteItem) this replica sent for each shard.
  std::map<int, int> ShardWrites() const {
    std::map<int, int> writes;
    for (const aws::HttpRequest& request : http->requests) {
      bool write = false;
      for (const auto& [name, value] : request.headers) {
        if (name == "X-Amz-Target" &&
            (value.ends_with(".PutItem") || value.ends_with(".UpdateItem") ||
             value.ends_with(".DeleteItem"))) {
          write = true;
        }
      }
      const size_t at = request.body.find("\"shard#");
      if (!write || at == std::string::npos) continue;
      ++writes[std::stoi(request.body.substr(at + 7))];
    }
    return writes;
  }
};

// One moto_server per suite, reset before each test (aws::MotoClientsTest), with the table.
class MotoCoordination : public aws::MotoClientsTest {
 protected:
  void SetUp() override {
    aws::MotoClientsTest::SetUp();
    real_ = std::make_shared<aws::CurlHttpClient>();
    const base::Status made = clients_.dynamodb->CreateTable(kTable, "pk");
    ASSERT_TRUE(made.ok()) << made.ToString();
  }

  std::shared_ptr<aws::DynamoDb> MakeDynamoDb(std::shared_ptr<aws::HttpClient> http) const {
    aws::AwsClientOptions options;
    options.credentials = {"testing", "testing", "", "test"};
    options.region = "us-east-1";
    options.endpoint_override = moto_->endpoint();
    options.http = std::move(http);
    options.max_attempts = 1;  // a failure shows at once; the coordinator retries next Tick
    return std::make_shared<aws::DynamoDbClient>(std::make_shared<aws::AwsClient>(options));
  }

  TestReplica& AddReplica(const std::string& id) {
    auto replica = std::make_unique<TestReplica>();
    std::shared_ptr<std::atomic<bool>> cut = replica->cut;
    std::shared_ptr<TestReplica::Hook> on_request = replica->on_request;
    std::shared_ptr<aws::HttpClient> real = real_;
    replica->http = std::make_shared<testing::FakeHttpClient>(
        [cut, on_request,
         real](const aws::HttpRequest& request) -> base::Result<aws::HttpResponse> {
          if (*on_request) (*on_request)(request);
          if (*cut) return base::TransientError("connection refused (cut off by the test)");
          return real->Send(request);
        });
    replica->dynamodb = MakeDynamoDb(replica->http);
    CoordinatorOptions options;
    options.table = kTable;
    options.replica_id = id;
    options.clock = &clock_;
    options.shard_count = shard_count_;
    options.peer_url = "http://" + id + ".replicas.test:8081";
    replica->coordinator = std::make_unique<Coordinator>(replica->dynamodb, options);
    replicas_.push_back(std::move(replica));
    return *replicas_.back();
  }

  // Every replica not cut off ticks once; then the clock moves `step`.
  void TickAll(std::chrono::milliseconds step = std::chrono::seconds(5)) {
    for (auto& replica : replicas_) replica->coordinator->Tick();
    clock_.Advance(step);
  }

  // The shards each replica owns, in the order they were added.
  std::vector<size_t> Counts() const {
    std::vector<size_t> counts;
    for (const auto& replica : replicas_) {
      counts.push_back(replica->coordinator->OwnedShards().size());
    }
    return counts;
  }

  // No shard is owned by two replicas at once.
  void ExpectDisjoint() const {
    std::map<int, int> owners;
    for (const auto& replica : replicas_) {
      for (int shard : replica->coordinator->OwnedShards()) ++owners[shard];
    }
    for (const auto& [shard, count] : owners) EXPECT_EQ(count, 1) << "shard " << shard;
  }

  // Of the replicas added next. Tests use few shards unless they are about the count: moto
  // answers a Scan in tens of milliseconds per few dozen items.
  int shard_count_ = 64;
  std::shared_ptr<aws::HttpClient> real_;
  base::FakeClock clock_;
  std::vector<std::unique_ptr<TestReplica>> replicas_;
};

}  // namespace ecsync::coordination
