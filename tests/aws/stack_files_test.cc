// StackFiles: CloudFormation kept as files in a folder, driven through the interface.

#include "aws/stack_files.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <set>
#include <thread>

#include <nlohmann/json.hpp>

#include "aws/stack_files_io.h"
#include "base/clock.h"
#include "tests/support/support.h"

namespace ecsync::aws {
namespace {

namespace fs = std::filesystem;
using Json = nlohmann::json;

constexpr char kTwoBuckets[] = R"({"Resources": {
  "Logs": {"Type": "AWS::S3::Bucket"},
  "Data": {"Type": "AWS::S3::Bucket", "Properties": {"BucketName": "data"}}}})";

// kTwoBuckets with Data's name changed, Logs gone and a queue added.
constexpr char kChanged[] = R"({"Resources": {
  "Data": {"Type": "AWS::S3::Bucket", "Properties": {"BucketName": "data2"}},
  "Jobs": {"Type": "AWS::SQS::Queue"}}})";

constexpr char kWithSecret[] = R"({
  "Parameters": {
    "DbPassword": {"Type": "String", "NoEcho": true, "Description": "database password"},
    "Size": {"Type": "Number", "Default": 2}
  },
  "Resources": {"Db": {"Type": "AWS::S3::Bucket"}},
  "Outputs": {"Where": {"Value": {"Ref": "Db"}}, "Pw": {"Value": {"Ref": "DbPassword"}},
              "N": {"Value": {"Ref": "Size"}}}})";

constexpr char kSecret[] = "hunter2-very-secret";

constexpr char kIamRole[] = R"({"Resources": {"Role": {"Type": "AWS::IAM::Role",
  "Properties": {"AssumeRolePolicyDocument": {}}}}})";

class StackFilesTest : public ::testing::Test {
 protected:
  StackFilesTest() : cfn_(dir_.path(), clock_) {}

  std::string Create(const std::string& name, const std::string& body = kTwoBuckets,
                     const std::string& token = "") {
    CreateStackRequest request;
    request.name = name;
    request.template_body = body;
    request.tags = {{"ecsync:revision", "r1"}};
    request.client_request_token = token;
    base::Result<std::string> id = cfn_.CreateStack(request);
    EXPECT_TRUE(id.ok()) << id.status().ToString();
    return id.ok() ? *id : "";
  }

  base::Status Update(const std::string& name, const std::string& body,
                      std::map<std::string, std::string> tags = {{"ecsync:revision", "r1"}},
                      const std::string& token = "") {
    UpdateStackRequest request;
    request.name = name;
    request.template_body = body;
    request.tags = std::move(tags);
    request.client_request_token = token;
    return cfn_.UpdateStack(request);
  }

  base::Result<std::string> NewChangeSet(const std::string& stack, const std::string& name,
                                         const std::string& body,
                                         const std::string& type = "UPDATE") {
    CreateChangeSetRequest request;
    request.stack_name = stack;
    request.change_set_name = name;
    request.template_body = body;
    request.change_set_type = type;
    request.tags = {{"ecsync:revision", "r2"}};
    return cfn_.CreateChangeSet(request);
  }

  std::string Path(const std::string& relative) const { return dir_.path() + "/" + relative; }

  // Every file under the folder, relative, including hidden ones.
  std::set<std::string> Files() const {
    std::set<std::string> files;
    for (const auto& entry : fs::recursive_directory_iterator(dir_.path())) {
      if (entry.is_regular_file()) {
        files.insert(fs::relative(entry.path(), dir_.path()).string());
      }
    }
    return files;
  }

  std::vector<std::string> EventStatuses(const std::string& stack) {
    std::vector<std::string> out;
    auto events = cfn_.DescribeStackEvents(stack);
    EXPECT_TRUE(events.ok()) << events.status().ToString();
    if (!events.ok()) return out;
    for (const StackEvent& e : *events) out.push_back(e.logical_id + " " + e.status);
    return out;
  }

  testing::TempDir dir_;
  base::FakeClock clock_;
  StackFiles cfn_;
};

TEST_F(StackFilesTest, CreateWritesTemplateAndStateAndCompletesAtOnce) {
  std::string id = Create("web");
  EXPECT_TRUE(id.starts_with("arn:ecsync:stack-files:local:web/")) << id;

  auto stack = cfn_.DescribeStack("web");
  ASSERT_TRUE(stack.ok()) << stack.status().ToString();
  EXPECT_EQ(stack->name, "web");
  EXPECT_EQ(stack->id, id);
  EXPECT_EQ(stack->status, "CREATE_COMPLETE");
  EXPECT_EQ(stack->tags.at("ecsync:revision"), "r1");
  EXPECT_FALSE(stack->termination_protection);

  std::string stored = testing::ReadFileOrDie(Path("web.template.json"));
  EXPECT_EQ(Json::parse(stored), Json::parse(kTwoBuckets));
  EXPECT_NE(stored.find("\n  \"Resources\": {"), std::string::npos) << "pretty-printed";
  Json state = Json::parse(testing::ReadFileOrDie(Path("web.state.json")));
  EXPECT_EQ(state["name"], "web");
  EXPECT_EQ(state["id"], id);
  EXPECT_EQ(state["status"], "CREATE_COMPLETE");
  EXPECT_EQ(state["tags"]["ecsync:revision"], "r1");
  EXPECT_EQ(Files(), (std::set<std::string>{"web.state.json", "web.template.json"}));
}

TEST_F(StackFilesTest, CreateEventsAreNewestFirstWithClockTimestamps) {
  Create("web");
  auto events = cfn_.DescribeStackEvents("web");
  ASSERT_TRUE(events.ok());
  ASSERT_EQ(events->size(), 4u);
  EXPECT_EQ((*events)[0].status, "CREATE_COMPLETE");
  EXPECT_EQ((*events)[0].resource_type, "AWS::CloudFormation::Stack");
  EXPECT_EQ((*events)[1].logical_id, "Data");
  EXPECT_EQ((*events)[1].resource_type, "AWS::S3::Bucket");
  EXPECT_EQ((*events)[1].status, "CREATE_COMPLETE");
  EXPECT_EQ((*events)[2].logical_id, "Logs");
  EXPECT_EQ((*events)[3].status, "CREATE_IN_PROGRESS");
  EXPECT_EQ((*events)[3].reason, "User Initiated");
  std::set<std::string> ids;
  for (const StackEvent& e : *events) {
    EXPECT_EQ(e.timestamp, clock_.Now());
    ids.insert(e.event_id);
  }
  EXPECT_EQ(ids.size(), events->size()) << "event ids are unique";
}

TEST_F(StackFilesTest, CreateOfExistingStackIsConflict) {
  Create("web");
  CreateStackRequest request;
  request.name = "web";
  request.template_body = kTwoBuckets;
  auto again = cfn_.CreateStack(request);
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.status().kind(), base::ErrorKind::kConflict);
  EXPECT_EQ(again.status().message(), "Stack [web] already exists");
}

TEST_F(StackFilesTest, RepeatedCreateTokenSucceedsOnce) {
  std::string id = Create("web", kTwoBuckets, "tok-1");
  size_t events = cfn_.DescribeStackEvents("web")->size();
  EXPECT_EQ(Create("web", kTwoBuckets, "tok-1"), id);
  EXPECT_EQ(cfn_.DescribeStackEvents("web")->size(), events);
}

TEST_F(StackFilesTest, TemplateUrlIsInvalidOffline) {
  CreateStackRequest request;
  request.name = "web";
  request.template_url = "https://bucket.s3.amazonaws.com/t.json?X-Amz-Signature=abc";
  auto created = cfn_.CreateStack(request);
  ASSERT_FALSE(created.ok());
  EXPECT_EQ(created.status().kind(), base::ErrorKind::kInvalid);
  EXPECT_NE(created.status().message().find("template URL"), std::string::npos);
  EXPECT_EQ(created.status().message().find("Signature"), std::string::npos);
  EXPECT_TRUE(Files().empty());
}

TEST_F(StackFilesTest, BadStackNameIsInvalidAndWritesNothing) {
  CreateStackRequest request;
  request.name = "../escape";
  request.template_body = kTwoBuckets;
  auto created = cfn_.CreateStack(request);
  ASSERT_FALSE(created.ok());
  EXPECT_EQ(created.status().kind(), base::ErrorKind::kInvalid);
  EXPECT_TRUE(Files().empty());
  EXPECT_FALSE(fs::exists(fs::path(dir_.path()).parent_path() / "escape.state.json"));
}

TEST_F(StackFilesTest, IamResourcesNeedTheCapability) {
  CreateStackRequest request;
  request.name = "web";
  request.template_body = kIamRole;
  auto created = cfn_.CreateStack(request);
  ASSERT_FALSE(created.ok());
  EXPECT_EQ(created.status().kind(), base::ErrorKind::kInvalid);
  EXPECT_EQ(created.status().message(), "Requires capabilities : [CAPABILITY_IAM]");
  request.capabilities = {"CAPABILITY_IAM"};
  EXPECT_TRUE(cfn_.CreateStack(request).ok());
}

TEST_F(StackFilesTest, ParametersAreCheckedLikeCloudFormation) {
  CreateStackRequest request;
  request.name = "web";
  request.template_body = kWithSecret;
  auto missing = cfn_.CreateStack(request);
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().kind(), base::ErrorKind::kInvalid);
  EXPECT_EQ(missing.status().message(), "Parameters: [DbPassword] must have values");
  request.parameters = {{"DbPassword", "x"}, {"Nope", "1"}};
  auto unknown = cfn_.CreateStack(request);
  ASSERT_FALSE(unknown.ok());
  EXPECT_EQ(unknown.status().message(), "Parameters: [Nope] do not exist in the template");
}

TEST_F(StackFilesTest, UpdateWithNothingChangedIsNoUpdates) {
  Create("web");
  base::Status same = Update("web", kTwoBuckets);
  ASSERT_FALSE(same.ok());
  EXPECT_EQ(same.kind(), base::ErrorKind::kInvalid);
  EXPECT_EQ(same.message(), "No updates are to be performed.");
  // Reformatting the same template is not a change either.
  Json reordered = Json::parse(kTwoBuckets);
  EXPECT_EQ(Update("web", reordered.dump()).message(), "No updates are to be performed.");
  // Tags are a change.
  EXPECT_TRUE(Update("web", kTwoBuckets, {{"ecsync:revision", "r2"}}).ok());
  EXPECT_EQ(cfn_.DescribeStack("web")->status, "UPDATE_COMPLETE");
}

TEST_F(StackFilesTest, UpdateWithoutTagsKeepsTheStacksTags) {
  Create("web");
  ASSERT_TRUE(Update("web", kChanged, {}).ok());
  EXPECT_EQ(cfn_.DescribeStack("web")->tags.at("ecsync:revision"), "r1");
}

TEST_F(StackFilesTest, UpdateEventsNameAddedModifiedAndRemovedResources) {
  Create("web");
  clock_.Advance(std::chrono::seconds(5));
  ASSERT_TRUE(Update("web", kChanged).ok());
  std::vector<std::string> statuses = EventStatuses("web");
  ASSERT_GE(statuses.size(), 6u);
  EXPECT_EQ(
      std::vector<std::string>(statuses.begin(), statuses.begin() + 6),
      (std::vector<std::string>{"web UPDATE_COMPLETE", "Logs DELETE_COMPLETE",
                                "web UPDATE_COMPLETE_CLEANUP_IN_PROGRESS", "Jobs CREATE_COMPLETE",
                                "Data UPDATE_COMPLETE", "web UPDATE_IN_PROGRESS"}));
  EXPECT_EQ(cfn_.DescribeStackEvents("web")->front().timestamp, clock_.Now());
  EXPECT_EQ(Json::parse(*cfn_.GetTemplate("web")), Json::parse(kChanged));
}

TEST_F(StackFilesTest, RepeatedUpdateTokenIsAppliedOnce) {
  Create("web");
  ASSERT_TRUE(Update("web", kChanged, {{"ecsync:revision", "r2"}}, "up-1").ok());
  size_t events = cfn_.DescribeStackEvents("web")->size();
  EXPECT_TRUE(Update("web", kChanged, {{"ecsync:revision", "r2"}}, "up-1").ok());
  EXPECT_EQ(cfn_.DescribeStackEvents("web")->size(), events);
}

TEST_F(StackFilesTest, UpdateOfMissingStackIsNotFound) {
  base::Status updated = Update("nope", kTwoBuckets);
  ASSERT_FALSE(updated.ok());
  EXPECT_EQ(updated.kind(), base::ErrorKind::kNotFound);
}

TEST_F(StackFilesTest, DeletedStackIsGoneByNameButReadableById) {
  std::string id = Create("web");
  ASSERT_TRUE(cfn_.DeleteStack("web", "del-1").ok());
  EXPECT_FALSE(fs::exists(Path("web.state.json")));
  EXPECT_FALSE(fs::exists(Path("web.template.json")));

  auto by_name = cfn_.DescribeStack("web");
  ASSERT_FALSE(by_name.ok());
  EXPECT_EQ(by_name.status().kind(), base::ErrorKind::kNotFound);
  EXPECT_EQ(by_name.status().message(), "Stack with id web does not exist");

  auto by_id = cfn_.DescribeStack(id);
  ASSERT_TRUE(by_id.ok()) << by_id.status().ToString();
  EXPECT_EQ(by_id->status, "DELETE_COMPLETE");
  EXPECT_EQ(EventStatuses(id).front(), "web DELETE_COMPLETE");
  EXPECT_TRUE(cfn_.DescribeStacks()->empty());

  // Deleting again, or a stack that never existed, succeeds as in CloudFormation.
  EXPECT_TRUE(cfn_.DeleteStack(id, "del-1").ok());
  EXPECT_TRUE(cfn_.DeleteStack("never", "").ok());

  // Another process (a new instance) sees the same.
  StackFiles other(dir_.path(), clock_);
  EXPECT_EQ(other.DescribeStack(id)->status, "DELETE_COMPLETE");
  EXPECT_EQ(other.DescribeStack("web").status().kind(), base::ErrorKind::kNotFound);

  // A new stack of the same name has a new id; the old id still names the deleted one.
  std::string id2 = Create("web");
  EXPECT_NE(id2, id);
  EXPECT_EQ(cfn_.DescribeStack(id)->status, "DELETE_COMPLETE");
  EXPECT_EQ(cfn_.DescribeStack(id2)->status, "CREATE_COMPLETE");
}

TEST_F(StackFilesTest, TerminationProtectionBlocksDelete) {
  Create("web");
  ASSERT_TRUE(cfn_.UpdateTerminationProtection("web", true).ok());
  EXPECT_TRUE(cfn_.DescribeStack("web")->termination_protection);
  base::Status deleted = cfn_.DeleteStack("web", "");
  ASSERT_FALSE(deleted.ok());
  EXPECT_EQ(deleted.kind(), base::ErrorKind::kConflict);
  EXPECT_EQ(deleted.message(),
            "Stack [web] cannot be deleted while TerminationProtection is enabled");
  EXPECT_EQ(cfn_.DescribeStack("web")->status, "CREATE_COMPLETE");
  ASSERT_TRUE(cfn_.UpdateTerminationProtection("web", false).ok());
  EXPECT_TRUE(cfn_.DeleteStack("web", "").ok());
}

TEST_F(StackFilesTest, DescribeStacksListsLiveStacksSortedByName) {
  Create("zeta");
  Create("alpha-b");
  Create("alpha");
  Create("gone");
  ASSERT_TRUE(cfn_.DeleteStack("gone", "").ok());
  auto stacks = cfn_.DescribeStacks();
  ASSERT_TRUE(stacks.ok()) << stacks.status().ToString();
  std::vector<std::string> names;
  for (const Stack& s : *stacks) names.push_back(s.name);
  EXPECT_EQ(names, (std::vector<std::string>{"alpha", "alpha-b", "zeta"}));
}

TEST_F(StackFilesTest, MissingFolderHasNoStacks) {
  StackFiles none(dir_.path() + "/not-yet", clock_);
  EXPECT_TRUE(none.DescribeStacks()->empty());
  EXPECT_EQ(none.DescribeStack("web").status().kind(), base::ErrorKind::kNotFound);
}

TEST_F(StackFilesTest, ChangeSetListsAddModifyAndRemove) {
  Create("web");
  auto id = NewChangeSet("web", "cs1", kChanged);
  ASSERT_TRUE(id.ok()) << id.status().ToString();
  auto cs = cfn_.DescribeChangeSet("cs1", "web");
  ASSERT_TRUE(cs.ok()) << cs.status().ToString();
  EXPECT_EQ(cs->id, *id);
  EXPECT_EQ(cs->name, "cs1");
  EXPECT_EQ(cs->stack_name, "web");
  EXPECT_EQ(cs->stack_id, cfn_.DescribeStack("web")->id);
  EXPECT_EQ(cs->status, "CREATE_COMPLETE");
  EXPECT_EQ(cs->execution_status, "AVAILABLE");
  ASSERT_EQ(cs->changes.size(), 3u);

  const ResourceChange& modify = cs->changes[0];
  EXPECT_EQ(modify.action, "Modify");
  EXPECT_EQ(modify.logical_id, "Data");
  EXPECT_EQ(modify.physical_id, "web-Data");
  EXPECT_EQ(modify.resource_type, "AWS::S3::Bucket");
  EXPECT_EQ(modify.replacement, "Conditional");
  EXPECT_EQ(modify.scope, (std::vector<std::string>{"Properties"}));
  ASSERT_EQ(modify.details.size(), 1u);
  EXPECT_EQ(modify.details[0].attribute, "Properties");
  EXPECT_EQ(modify.details[0].name, "BucketName");
  EXPECT_EQ(modify.details[0].requires_recreation, "Conditionally");

  EXPECT_EQ(cs->changes[1].action, "Add");
  EXPECT_EQ(cs->changes[1].logical_id, "Jobs");
  EXPECT_EQ(cs->changes[1].physical_id, "");
  EXPECT_EQ(cs->changes[2].action, "Remove");
  EXPECT_EQ(cs->changes[2].logical_id, "Logs");
  EXPECT_EQ(cs->changes[2].physical_id, "web-Logs");

  // Creating a change set changes nothing yet; by id works without the stack name.
  EXPECT_EQ(cfn_.DescribeStack("web")->status, "CREATE_COMPLETE");
  EXPECT_EQ(cfn_.DescribeChangeSet(*id, "")->name, "cs1");
}

TEST_F(StackFilesTest, ChangeSetReplacementFollowsWhatChanged) {
  Create("web", R"({"Resources": {
    "A": {"Type": "AWS::S3::Bucket", "Properties": {"Tags": [{"Key": "k", "Value": "1"}]}},
    "B": {"Type": "AWS::S3::Bucket"}}})");
  ASSERT_TRUE(NewChangeSet("web", "cs1", R"({"Resources": {
    "A": {"Type": "AWS::S3::Bucket", "Properties": {"Tags": [{"Key": "k", "Value": "2"}]}},
    "B": {"Type": "AWS::SQS::Queue"}}})")
                  .ok());
  auto cs = cfn_.DescribeChangeSet("cs1", "web");
  ASSERT_TRUE(cs.ok());
  ASSERT_EQ(cs->changes.size(), 2u);
  EXPECT_EQ(cs->changes[0].replacement, "False");
  EXPECT_EQ(cs->changes[0].scope, (std::vector<std::string>{"Tags"}));
  EXPECT_EQ(cs->changes[0].details.at(0).requires_recreation, "Never");
  EXPECT_EQ(cs->changes[1].replacement, "True");
  EXPECT_EQ(cs->changes[1].resource_type, "AWS::SQS::Queue");
}

TEST_F(StackFilesTest, ChangeSetShowsResourcesUsingAChangedParameter) {
  constexpr char kUsesName[] = R"({
    "Parameters": {"Name": {"Type": "String"}, "Other": {"Type": "String", "Default": "o"}},
    "Resources": {
      "ByRef": {"Type": "AWS::S3::Bucket", "Properties": {"BucketName": {"Ref": "Name"}}},
      "BySub": {"Type": "AWS::SQS::Queue",
                "Properties": {"QueueName": {"Fn::Sub": "q-${Name}"}}},
      "Neither": {"Type": "AWS::SQS::Queue",
                  "Properties": {"QueueName": {"Ref": "Other"}}}}})";
  CreateStackRequest create;
  create.name = "web";
  create.template_body = kUsesName;
  create.parameters = {{"Name", "a"}};
  ASSERT_TRUE(cfn_.CreateStack(create).ok());
  CreateChangeSetRequest request;
  request.stack_name = "web";
  request.change_set_name = "rename";
  request.template_body = kUsesName;
  request.parameters = {{"Name", "b"}};
  ASSERT_TRUE(cfn_.CreateChangeSet(request).ok());
  auto cs = cfn_.DescribeChangeSet("rename", "web");
  ASSERT_TRUE(cs.ok());
  EXPECT_EQ(cs->status, "CREATE_COMPLETE");
  ASSERT_EQ(cs->changes.size(), 2u);
  EXPECT_EQ(cs->changes[0].logical_id, "ByRef");
  EXPECT_EQ(cs->changes[0].action, "Modify");
  EXPECT_EQ(cs->changes[0].replacement, "Conditional");
  ASSERT_EQ(cs->changes[0].details.size(), 1u);
  EXPECT_EQ(cs->changes[0].details[0].name, "BucketName");
  EXPECT_EQ(cs->changes[0].details[0].evaluation, "Dynamic");
  EXPECT_EQ(cs->changes[0].details[0].change_source, "ParameterReference");
  EXPECT_EQ(cs->changes[0].details[0].causing_entity, "Name");
  EXPECT_EQ(cs->changes[1].logical_id, "BySub");
}

TEST_F(StackFilesTest, ChangeSetWithoutChangesFails) {
  Create("web");
  CreateChangeSetRequest request;
  request.stack_name = "web";
  request.change_set_name = "same";
  request.template_body = kTwoBuckets;
  request.tags = {{"ecsync:revision", "r1"}};
  ASSERT_TRUE(cfn_.CreateChangeSet(request).ok());
  auto cs = cfn_.DescribeChangeSet("same", "web");
  ASSERT_TRUE(cs.ok());
  EXPECT_EQ(cs->status, "FAILED");
  EXPECT_EQ(cs->status_reason,
            "The submitted information didn't contain changes. Submit different information "
            "to create a change set.");
  EXPECT_EQ(cs->execution_status, "UNAVAILABLE");
  EXPECT_TRUE(cs->changes.empty());
  base::Status executed = cfn_.ExecuteChangeSet("same", "web", "");
  EXPECT_EQ(executed.kind(), base::ErrorKind::kConflict);
  ASSERT_TRUE(cfn_.DeleteChangeSet("same", "web").ok());
  EXPECT_EQ(cfn_.DescribeChangeSet("same", "web").status().kind(), base::ErrorKind::kNotFound);
}

TEST_F(StackFilesTest, ExecuteChangeSetUpdatesTheStack) {
  Create("web");
  ASSERT_TRUE(NewChangeSet("web", "cs1", kChanged).ok());
  ASSERT_TRUE(NewChangeSet("web", "cs2", kChanged).ok());
  ASSERT_TRUE(cfn_.ExecuteChangeSet("cs1", "web", "ex-1").ok());
  auto stack = cfn_.DescribeStack("web");
  EXPECT_EQ(stack->status, "UPDATE_COMPLETE");
  EXPECT_EQ(stack->tags.at("ecsync:revision"), "r2");
  EXPECT_EQ(Json::parse(*cfn_.GetTemplate("web")), Json::parse(kChanged));
  EXPECT_EQ(cfn_.DescribeChangeSet("cs1", "web")->execution_status, "EXECUTE_COMPLETE");
  EXPECT_EQ(cfn_.DescribeChangeSet("cs2", "web")->execution_status, "OBSOLETE");
  // The same token again is a no-op; without it the change set cannot run twice.
  size_t events = cfn_.DescribeStackEvents("web")->size();
  EXPECT_TRUE(cfn_.ExecuteChangeSet("cs1", "web", "ex-1").ok());
  EXPECT_EQ(cfn_.DescribeStackEvents("web")->size(), events);
  base::Status again = cfn_.ExecuteChangeSet("cs1", "web", "ex-2");
  EXPECT_EQ(again.kind(), base::ErrorKind::kConflict);
  EXPECT_NE(again.message().find("EXECUTE_COMPLETE"), std::string::npos);
}

TEST_F(StackFilesTest, CreateTypeChangeSetStartsInReviewAndCreatesOnExecute) {
  auto id = NewChangeSet("web", "first", kTwoBuckets, "CREATE");
  ASSERT_TRUE(id.ok()) << id.status().ToString();
  EXPECT_EQ(cfn_.DescribeStack("web")->status, "REVIEW_IN_PROGRESS");
  auto cs = cfn_.DescribeChangeSet(*id, "");
  ASSERT_TRUE(cs.ok());
  ASSERT_EQ(cs->changes.size(), 2u);
  EXPECT_EQ(cs->changes[0].action, "Add");
  EXPECT_EQ(cs->changes[1].action, "Add");
  EXPECT_EQ(cfn_.GetTemplate("web").status().kind(), base::ErrorKind::kConflict);
  CreateStackRequest create;
  create.name = "web";
  create.template_body = kTwoBuckets;
  EXPECT_EQ(cfn_.CreateStack(create).status().kind(), base::ErrorKind::kConflict);

  ASSERT_TRUE(cfn_.ExecuteChangeSet(*id, "", "").ok());
  EXPECT_EQ(cfn_.DescribeStack("web")->status, "CREATE_COMPLETE");
  EXPECT_EQ(EventStatuses("web").back(), "web REVIEW_IN_PROGRESS");
  auto resources = cfn_.DescribeStackResources("web");
  ASSERT_TRUE(resources.ok());
  EXPECT_EQ(resources->size(), 2u);
}

TEST_F(StackFilesTest, ChangeSetNamesAndTokens) {
  Create("web");
  CreateChangeSetRequest request;
  request.stack_name = "web";
  request.change_set_name = "cs1";
  request.template_body = kChanged;
  request.client_token = "ct-1";
  auto first = cfn_.CreateChangeSet(request);
  ASSERT_TRUE(first.ok());
  auto repeated = cfn_.CreateChangeSet(request);
  ASSERT_TRUE(repeated.ok());
  EXPECT_EQ(*repeated, *first);
  request.client_token = "ct-2";
  EXPECT_EQ(cfn_.CreateChangeSet(request).status().kind(), base::ErrorKind::kConflict);

  request.change_set_name = "1bad";
  EXPECT_EQ(cfn_.CreateChangeSet(request).status().kind(), base::ErrorKind::kInvalid);
  EXPECT_EQ(cfn_.DescribeChangeSet("cs1", "").status().kind(), base::ErrorKind::kInvalid);
  EXPECT_EQ(cfn_.DescribeChangeSet("nope", "web").status().kind(), base::ErrorKind::kNotFound);
  EXPECT_EQ(cfn_.DescribeChangeSet("cs1", "nostack").status().kind(), base::ErrorKind::kNotFound);
}

TEST_F(StackFilesTest, UpdateChangeSetForMissingStackIsInvalid) {
  auto cs = NewChangeSet("nope", "cs1", kTwoBuckets);
  ASSERT_FALSE(cs.ok());
  EXPECT_EQ(cs.status().kind(), base::ErrorKind::kInvalid);
  EXPECT_EQ(cs.status().message(), "Stack [nope] does not exist");
}

TEST_F(StackFilesTest, RollbackCallsConflictOnCompleteStacks) {
  Create("web");
  base::Status cont = cfn_.ContinueUpdateRollback("web", {}, "");
  EXPECT_EQ(cont.kind(), base::ErrorKind::kConflict);
  EXPECT_NE(cont.message().find("CREATE_COMPLETE state"), std::string::npos);
  base::Status cancel = cfn_.CancelUpdateStack("web", "");
  EXPECT_EQ(cancel.kind(), base::ErrorKind::kConflict);
  EXPECT_NE(cancel.message().find("CancelUpdateStack cannot be called from current stack status"),
            std::string::npos);
  EXPECT_EQ(cfn_.CancelUpdateStack("nope", "").kind(), base::ErrorKind::kNotFound);
}

TEST_F(StackFilesTest, ContinueUpdateRollbackFinishesAHandEditedFailedRollback) {
  Create("web");
  std::string path = Path("web.state.json");
  Json state = Json::parse(testing::ReadFileOrDie(path));
  state["status"] = "UPDATE_ROLLBACK_FAILED";
  state["resources"][0]["status"] = "UPDATE_FAILED";
  ASSERT_TRUE(WriteFileAtomically(path, state.dump(2)).ok());
  ASSERT_TRUE(cfn_.ContinueUpdateRollback("web", {"Logs"}, "").ok());
  EXPECT_EQ(cfn_.DescribeStack("web")->status, "UPDATE_ROLLBACK_COMPLETE");
  EXPECT_TRUE(Update("web", kChanged).ok()) << "UPDATE_ROLLBACK_COMPLETE can be updated";
}

TEST_F(StackFilesTest, ResourcesComeFromTheTemplateWithLastOperationStatus) {
  Create("web");
  ASSERT_TRUE(Update("web", kChanged).ok());
  auto resources = cfn_.DescribeStackResources("web");
  ASSERT_TRUE(resources.ok());
  ASSERT_EQ(resources->size(), 2u);
  EXPECT_EQ((*resources)[0].logical_id, "Data");
  EXPECT_EQ((*resources)[0].physical_id, "web-Data");
  EXPECT_EQ((*resources)[0].status, "UPDATE_COMPLETE");
  EXPECT_EQ((*resources)[1].logical_id, "Jobs");
  EXPECT_EQ((*resources)[1].resource_type, "AWS::SQS::Queue");
  EXPECT_EQ((*resources)[1].status, "CREATE_COMPLETE");
  EXPECT_EQ(cfn_.DescribeStackResources("nope").status().kind(), base::ErrorKind::kNotFound);
}

TEST_F(StackFilesTest, ValidateTemplateReportsParametersAndCapabilities) {
  auto validated = cfn_.ValidateTemplate(kWithSecret);
  ASSERT_TRUE(validated.ok()) << validated.status().ToString();
  ASSERT_EQ(validated->parameters.size(), 2u);
  EXPECT_EQ(validated->parameters[0].key, "DbPassword");
  EXPECT_TRUE(validated->parameters[0].no_echo);
  EXPECT_EQ(validated->parameters[0].description, "database password");
  EXPECT_EQ(validated->parameters[1].key, "Size");
  EXPECT_EQ(validated->parameters[1].default_value, "2");
  EXPECT_FALSE(validated->parameters[1].no_echo);
  EXPECT_TRUE(validated->capabilities.empty());

  auto iam = cfn_.ValidateTemplate(kIamRole);
  ASSERT_TRUE(iam.ok());
  EXPECT_EQ(iam->capabilities, (std::vector<std::string>{"CAPABILITY_IAM"}));
  EXPECT_EQ(iam->capabilities_reason,
            "The following resource(s) require capabilities: [AWS::IAM::Role]");
  auto named = cfn_.ValidateTemplate(
      R"({"Resources": {"R": {"Type": "AWS::IAM::Role", "Properties": {"RoleName": "x"}}}})");
  EXPECT_EQ(named->capabilities, (std::vector<std::string>{"CAPABILITY_NAMED_IAM"}));
}

TEST_F(StackFilesTest, ValidateTemplateRejectsMalformedTemplates) {
  auto broken = cfn_.ValidateTemplate(R"({"Resources": {)");
  ASSERT_FALSE(broken.ok());
  EXPECT_EQ(broken.status().kind(), base::ErrorKind::kInvalid);
  EXPECT_NE(broken.status().message().find("Template format error: JSON not well-formed"),
            std::string::npos);
  EXPECT_NE(broken.status().message().find("parse error"), std::string::npos)
      << "carries the parser's message: " << broken.status().message();

  auto yaml = cfn_.ValidateTemplate("Resources:\n  A: [unclosed\n");
  ASSERT_FALSE(yaml.ok());
  EXPECT_NE(yaml.status().message().find("YAML not well-formed. (line"), std::string::npos)
      << yaml.status().message();

  auto empty = cfn_.ValidateTemplate(R"({"Resources": {}})");
  EXPECT_EQ(empty.status().message(),
            "Template format error: At least one Resources member must be defined.");
  auto untyped = cfn_.ValidateTemplate(R"({"Resources": {"A": {}}})");
  EXPECT_NE(untyped.status().message().find("Every Resources object must contain a Type"),
            std::string::npos);
  auto unknown = cfn_.ValidateTemplate(R"({"Resources": {"A": {"Type": "X"}}, "Foo": 1})");
  EXPECT_NE(unknown.status().message().find("[Foo]"), std::string::npos);
  EXPECT_EQ(cfn_.ValidateTemplate("https://bucket.s3.amazonaws.com/t").status().kind(),
            base::ErrorKind::kInvalid);
}

TEST_F(StackFilesTest, YamlTemplatesAreKeptVerbatimAndCompareWithTheirJsonForm) {
  constexpr char kYaml[] =
      "Parameters:\n  Name: {Type: String, Default: data}\n"
      "Resources:\n  Data:\n    Type: AWS::S3::Bucket\n"
      "    Properties:\n      BucketName: !Ref Name\n"
      "Outputs:\n  Arn:\n    Value: !GetAtt Data.Arn\n";
  auto validated = cfn_.ValidateTemplate(kYaml);
  ASSERT_TRUE(validated.ok()) << validated.status().ToString();
  EXPECT_EQ(validated->parameters.at(0).default_value, "data");

  Create("web", kYaml);
  EXPECT_EQ(testing::ReadFileOrDie(Path("web.template.yaml")), kYaml);
  EXPECT_EQ(*cfn_.GetTemplate("web"), kYaml);
  constexpr char kSameAsJson[] = R"({
    "Parameters": {"Name": {"Type": "String", "Default": "data"}},
    "Resources": {"Data": {"Type": "AWS::S3::Bucket",
                           "Properties": {"BucketName": {"Ref": "Name"}}}},
    "Outputs": {"Arn": {"Value": {"Fn::GetAtt": ["Data", "Arn"]}}}})";
  EXPECT_EQ(Update("web", kSameAsJson).message(), "No updates are to be performed.");
  ASSERT_TRUE(Update("web", kTwoBuckets).ok());
  EXPECT_FALSE(fs::exists(Path("web.template.yaml")));
  EXPECT_TRUE(fs::exists(Path("web.template.json")));
}

TEST_F(StackFilesTest, DriftDetectionCompletesInSync) {
  Create("web");
  EXPECT_TRUE(cfn_.DescribeStackResourceDrifts("web")->empty());
  auto id = cfn_.DetectStackDrift("web");
  ASSERT_TRUE(id.ok()) << id.status().ToString();
  auto status = cfn_.DescribeStackDriftDetectionStatus(*id);
  ASSERT_TRUE(status.ok()) << status.status().ToString();
  EXPECT_EQ(status->detection_status, "DETECTION_COMPLETE");
  EXPECT_EQ(status->stack_drift_status, "IN_SYNC");
  EXPECT_EQ(status->stack_id, cfn_.DescribeStack("web")->id);
  EXPECT_EQ(status->drifted_resource_count, 0);
  auto drifts = cfn_.DescribeStackResourceDrifts("web");
  ASSERT_TRUE(drifts.ok());
  ASSERT_EQ(drifts->size(), 2u);
  for (const ResourceDrift& d : *drifts) EXPECT_EQ(d.drift_status, "IN_SYNC");
  EXPECT_EQ(cfn_.DescribeStackResources("web")->at(0).drift_status, "IN_SYNC");
  EXPECT_EQ(cfn_.DescribeStackDriftDetectionStatus("nope").status().kind(),
            base::ErrorKind::kNotFound);
}

TEST_F(StackFilesTest, NoEchoValuesNeverReachTheDisk) {
  auto scan = [&](const std::string& when) {
    for (const std::string& file : Files()) {
      std::string content = testing::ReadFileOrDie(Path(file));
      EXPECT_EQ(content.find(kSecret), std::string::npos) << file << " " << when;
    }
  };
  CreateStackRequest request;
  request.name = "db";
  request.template_body = kWithSecret;
  request.parameters = {{"DbPassword", kSecret}};
  ASSERT_TRUE(cfn_.CreateStack(request).ok());
  scan("after create");
  Json state = Json::parse(testing::ReadFileOrDie(Path("db.state.json")));
  EXPECT_EQ(state["parameters"][0]["value"], "****");
  EXPECT_EQ(state["parameters"][1]["value"], "2");
  auto stack = cfn_.DescribeStack("db");
  EXPECT_EQ(stack->outputs.at("Pw"), "****");
  EXPECT_EQ(stack->outputs.at("Where"), "db-Db");
  EXPECT_EQ(stack->outputs.at("N"), "2");

  // The same secret again is no update (this process saw it applied); a new one is.
  UpdateStackRequest update;
  update.name = "db";
  update.template_body = kWithSecret;
  update.parameters = {{"DbPassword", kSecret}};
  EXPECT_EQ(cfn_.UpdateStack(update).message(), "No updates are to be performed.");
  update.parameters = {{"DbPassword", std::string(kSecret) + "-2"}};
  ASSERT_TRUE(cfn_.UpdateStack(update).ok());

  CreateChangeSetRequest change;
  change.stack_name = "db";
  change.change_set_name = "cs";
  change.template_body = kWithSecret;
  change.parameters = {{"DbPassword", kSecret}};
  ASSERT_TRUE(cfn_.CreateChangeSet(change).ok());
  scan("after change set");
  ASSERT_TRUE(cfn_.ExecuteChangeSet("cs", "db", "").ok());
  scan("after execute");
  update.parameters = {{"DbPassword", kSecret}};
  EXPECT_EQ(cfn_.UpdateStack(update).message(), "No updates are to be performed.");
  ASSERT_TRUE(cfn_.DeleteStack("db", "").ok());
  scan("after delete");
}

TEST_F(StackFilesTest, WritesLeaveNoTemporaryFiles) {
  Create("web");
  ASSERT_TRUE(Update("web", kChanged).ok());
  ASSERT_TRUE(NewChangeSet("web", "cs1", kTwoBuckets).ok());
  ASSERT_TRUE(cfn_.DetectStackDrift("web").ok());
  ASSERT_TRUE(cfn_.UpdateTerminationProtection("web", false).ok());
  EXPECT_EQ(Files(), (std::set<std::string>{"web.state.json", "web.template.json"}));
  ASSERT_TRUE(cfn_.DeleteStack("web", "").ok());
  std::set<std::string> left = Files();
  ASSERT_EQ(left.size(), 1u);
  EXPECT_TRUE(left.begin()->starts_with(".deleted/web-")) << *left.begin();
}

TEST_F(StackFilesTest, PartialTemporaryFileFromACrashIsIgnored) {
  Create("web");
  std::string before = testing::ReadFileOrDie(Path("web.state.json"));
  // What a writer killed before its rename leaves behind.
  dir_.WriteFile(".web.state.json.tmp-0123456789ab", R"({"ecsync_stack_files": 1, "name": "w)");
  dir_.WriteFile(".api.state.json.tmp-0123456789ab", "{");
  auto stacks = cfn_.DescribeStacks();
  ASSERT_TRUE(stacks.ok()) << stacks.status().ToString();
  ASSERT_EQ(stacks->size(), 1u);
  EXPECT_EQ(cfn_.DescribeStack("web")->status, "CREATE_COMPLETE");
  EXPECT_EQ(cfn_.DescribeStack("api").status().kind(), base::ErrorKind::kNotFound);
  ASSERT_TRUE(Update("web", kChanged).ok());
  EXPECT_NE(testing::ReadFileOrDie(Path("web.state.json")), before);
}

TEST_F(StackFilesTest, WriteFileAtomicallyReplacesWholeFiles) {
  std::string path = Path("sub/f.json");
  ASSERT_TRUE(WriteFileAtomically(path, "one").ok());
  ASSERT_TRUE(WriteFileAtomically(path, "two").ok());
  EXPECT_EQ(testing::ReadFileOrDie(path), "two");
  EXPECT_EQ(Files(), (std::set<std::string>{"sub/f.json"}));
  EXPECT_FALSE(ReadFileIfExists(Path("missing"))->has_value());
}

TEST_F(StackFilesTest, CorruptStateIsInternalAndNamesTheFile) {
  Create("web");
  std::string path = dir_.WriteFile("web.state.json", "{\"ecsync_stack_files\": 1, \"name\": ");
  auto described = cfn_.DescribeStack("web");
  ASSERT_FALSE(described.ok());
  EXPECT_EQ(described.status().kind(), base::ErrorKind::kInternal);
  EXPECT_NE(described.status().message().find(path), std::string::npos)
      << described.status().message();
  EXPECT_NE(described.status().message().find("delete it"), std::string::npos);
  EXPECT_EQ(cfn_.DescribeStacks().status().kind(), base::ErrorKind::kInternal);

  dir_.WriteFile("web.state.json", R"({"ecsync_stack_files": 1, "name": "web"})");
  auto incomplete = cfn_.DescribeStack("web");
  EXPECT_EQ(incomplete.status().kind(), base::ErrorKind::kInternal);
  EXPECT_NE(incomplete.status().message().find(path), std::string::npos);

  dir_.WriteFile("web.state.json", R"({"ecsync_stack_files": 99})");
  EXPECT_NE(cfn_.DescribeStack("web").status().message().find("format version 99"),
            std::string::npos);

  // A missing template is named too.
  Create("api");
  fs::remove(Path("api.template.json"));
  base::Status updated = Update("api", kChanged);
  EXPECT_EQ(updated.kind(), base::ErrorKind::kInternal);
  EXPECT_NE(updated.message().find("api.template.json is missing"), std::string::npos);
}

TEST_F(StackFilesTest, ConcurrentCreatesOfDifferentStacks) {
  constexpr int kPerThread = 15;
  auto work = [&](const std::string& prefix) {
    for (int i = 0; i < kPerThread; ++i) {
      CreateStackRequest request;
      request.name = prefix + std::to_string(i);
      request.template_body = kTwoBuckets;
      EXPECT_TRUE(cfn_.CreateStack(request).ok());
      EXPECT_TRUE(cfn_.DescribeStacks().ok());
    }
  };
  std::thread a(work, "a");
  std::thread b(work, "b");
  a.join();
  b.join();
  auto stacks = cfn_.DescribeStacks();
  ASSERT_TRUE(stacks.ok());
  EXPECT_EQ(stacks->size(), 2u * kPerThread);
  EXPECT_EQ(Files().size(), 4u * kPerThread);
}

}  // namespace
}  // namespace ecsync::aws
