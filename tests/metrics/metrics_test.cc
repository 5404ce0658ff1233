// Metrics against the real promtool: every family lints clean, and each method leaves the
// series the documentation promises.

#include "metrics/metrics.h"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>
#include <vector>

#include "tests/metrics/metrics_text.h"

namespace ecsync::metrics {
namespace {

using std::chrono::seconds;

// Calls every method once or more so that every family has series.
void ExerciseEveryMethod(Metrics& m) {
  m.ReconcileFinished("web", "success", seconds(42));
  m.ReconcileFinished("web", "failed", std::chrono::milliseconds(1500));
  m.SetStack("web", "web-prod", "UPDATE_COMPLETE", "0123abcd");
  m.SetCondition("web", "Ready");
  m.SetDrift("web", "web-prod", 2);
  m.SetLastSuccess("web", std::chrono::system_clock::time_point(seconds(1'700'000'000)));
  m.GitFetch("apps", std::chrono::milliseconds(120), true);
  m.GitFetch("apps", seconds(61), false);
  m.SetGitBackoff("apps", 2, 40.5);
  m.AwsCall("CloudFormation", "DescribeStacks", "", true, 1);
  m.AwsCall("CloudFormation", "DescribeStacks", "Throttling", false, 3);
  m.Webhook("github", "accepted");
  m.Notification("slack", "delivered");
  m.Notification("webhook", "dropped");
  m.SetQueueDepth(3);
  m.SetLongestRunningSource([] { return 12.5; });
}

TEST(Metrics, PromtoolAcceptsEveryFamily) {
  Metrics m("1.2.3", "abcdef0");
  ExerciseEveryMethod(m);
  const std::string text = m.Serialize();
  EXPECT_TRUE(PromtoolAccepts(text));
  for (const char* family :
       {"ecsync_build_info", "ecsync_reconciles_total", "ecsync_reconcile_duration_seconds",
        "ecsync_reconcile_longest_running_seconds", "ecsync_stack_status",
        "ecsync_stack_revision_info", "ecsync_project_condition", "ecsync_stack_drifted_resources",
        "ecsync_last_success_timestamp_seconds", "ecsync_git_fetch_duration_seconds",
        "ecsync_git_fetch_errors_total", "ecsync_git_consecutive_failures",
        "ecsync_git_backoff_seconds", "ecsync_aws_requests_total", "ecsync_aws_retries_total",
        "ecsync_webhook_requests_total", "ecsync_notifications_total", "ecsync_queue_depth",
        "ecsync_repositories_unchecked"}) {
    EXPECT_NE(text.find(std::string("# HELP ") + family + " "), std::string::npos) << family;
  }
}

TEST(Metrics, FreshMetricsLintCleanAndShowBuildInfo) {
  Metrics m("1.2.3", "abcdef0");
  const std::string text = m.Serialize();
  EXPECT_TRUE(PromtoolAccepts(text));
  EXPECT_TRUE(HasLine(text, "ecsync_build_info{revision=\"abcdef0\",version=\"1.2.3\"} 1")) << text;
  EXPECT_TRUE(HasLine(text, "ecsync_queue_depth 0")) << text;
  EXPECT_TRUE(HasLine(text, "ecsync_repositories_unchecked 0")) << text;
  EXPECT_TRUE(HasLine(text, "ecsync_reconcile_longest_running_seconds 0")) << text;
}

TEST(Metrics, ReconcilesCountedByProjectAndResult) {
  Metrics m("1", "r");
  m.ReconcileFinished("web", "success", seconds(3));
  m.ReconcileFinished("web", "success", seconds(700));
  m.ReconcileFinished("api", "error", std::chrono::milliseconds(200));
  const std::string text = m.Serialize();
  EXPECT_TRUE(PromtoolAccepts(text));
  EXPECT_TRUE(HasLine(text, "ecsync_reconciles_total{project=\"web\",result=\"success\"} 2"))
      << text;
  // Every result exists from the first reconcile on, so rate() and alerts see a zero.
  EXPECT_TRUE(HasLine(text, "ecsync_reconciles_total{project=\"web\",result=\"failed\"} 0"))
      << text;
  EXPECT_TRUE(HasLine(text, "ecsync_reconciles_total{project=\"api\",result=\"error\"} 1")) << text;
  EXPECT_TRUE(HasLine(text, "ecsync_reconcile_duration_seconds_count{project=\"web\"} 2")) << text;
  EXPECT_TRUE(HasLine(text, "ecsync_reconcile_duration_seconds_sum{project=\"web\"} 703")) << text;
  EXPECT_TRUE(HasLine(text, "ecsync_reconcile_duration_seconds_bucket{project=\"web\",le=\"5\"} 1"))
      << text;
  EXPECT_TRUE(
      HasLine(text, "ecsync_reconcile_duration_seconds_bucket{project=\"web\",le=\"600\"} 1"))
      << text;
  EXPECT_TRUE(
      HasLine(text, "ecsync_reconcile_duration_seconds_bucket{project=\"web\",le=\"1200\"} 2"))
      << text;
  EXPECT_TRUE(
      HasLine(text, "ecsync_reconcile_duration_seconds_bucket{project=\"web\",le=\"3600\"} 2"))
      << text;
  EXPECT_TRUE(
      HasLine(text, "ecsync_reconcile_duration_seconds_bucket{project=\"api\",le=\"0.25\"} 1"))
      << text;
}

TEST(Metrics, SetStackReplacesStatusAndRevisionSeries) {
  Metrics m("1", "r");
  m.SetStack("web", "web-prod", "CREATE_IN_PROGRESS", "aaa");
  m.SetStack("web", "web-prod", "CREATE_COMPLETE", "aaa");
  m.SetStack("web", "web-prod", "UPDATE_COMPLETE", "bbb");
  m.SetStack("web", "web-db", "CREATE_COMPLETE", "aaa");
  const std::string text = m.Serialize();
  EXPECT_TRUE(PromtoolAccepts(text));
  EXPECT_EQ(LinesWith(text, "ecsync_stack_status{"),
            "ecsync_stack_status{project=\"web\",stack=\"web-db\",status=\"CREATE_COMPLETE\"} 1\n"
            "ecsync_stack_status{project=\"web\",stack=\"web-prod\",status=\"UPDATE_COMPLETE\"} "
            "1\n");
  EXPECT_EQ(LinesWith(text, "ecsync_stack_revision_info{"),
            "ecsync_stack_revision_info{project=\"web\",revision=\"aaa\",stack=\"web-db\"} 1\n"
            "ecsync_stack_revision_info{project=\"web\",revision=\"bbb\",stack=\"web-prod\"} 1\n");
}

TEST(Metrics, SetStackWithSameLabelsKeepsOneSeries) {
  Metrics m("1", "r");
  m.SetStack("web", "web-prod", "UPDATE_COMPLETE", "aaa");
  m.SetStack("web", "web-prod", "UPDATE_COMPLETE", "aaa");
  const std::string text = m.Serialize();
  EXPECT_EQ(LinesWith(text, "ecsync_stack_status{"),
            "ecsync_stack_status{project=\"web\",stack=\"web-prod\",status=\"UPDATE_COMPLETE\"} "
            "1\n");
  // Replaced once more after a repeat: the repeat must not have lost track of the series.
  m.SetStack("web", "web-prod", "DELETE_COMPLETE", "aaa");
  EXPECT_EQ(LinesWith(m.Serialize(), "ecsync_stack_status{"),
            "ecsync_stack_status{project=\"web\",stack=\"web-prod\",status=\"DELETE_COMPLETE\"} "
            "1\n");
}

TEST(Metrics, ConditionIsOneHot) {
  Metrics m("1", "r");
  m.SetCondition("web", "Reconciling");
  m.SetCondition("web", "Stalled");
  std::string text = m.Serialize();
  EXPECT_TRUE(PromtoolAccepts(text));
  EXPECT_EQ(LinesWith(text, "ecsync_project_condition{"),
            "ecsync_project_condition{condition=\"AwaitingApproval\",project=\"web\"} 0\n"
            "ecsync_project_condition{condition=\"Held\",project=\"web\"} 0\n"
            "ecsync_project_condition{condition=\"Ready\",project=\"web\"} 0\n"
            "ecsync_project_condition{condition=\"Reconciling\",project=\"web\"} 0\n"
            "ecsync_project_condition{condition=\"Stalled\",project=\"web\"} 1\n"
            "ecsync_project_condition{condition=\"WaitingForImages\",project=\"web\"} 0\n");
  // A word outside the six still gets exactly one series at 1, dropped when it changes.
  m.SetCondition("web", "Unknown");
  text = m.Serialize();
  EXPECT_TRUE(HasLine(text, "ecsync_project_condition{condition=\"Unknown\",project=\"web\"} 1"));
  EXPECT_TRUE(HasLine(text, "ecsync_project_condition{condition=\"Stalled\",project=\"web\"} 0"));
  m.SetCondition("web", "Ready");
  text = m.Serialize();
  EXPECT_EQ(LinesWith(text, "ecsync_project_condition{"),
            "ecsync_project_condition{condition=\"AwaitingApproval\",project=\"web\"} 0\n"
            "ecsync_project_condition{condition=\"Held\",project=\"web\"} 0\n"
            "ecsync_project_condition{condition=\"Ready\",project=\"web\"} 1\n"
            "ecsync_project_condition{condition=\"Reconciling\",project=\"web\"} 0\n"
            "ecsync_project_condition{condition=\"Stalled\",project=\"web\"} 0\n"
            "ecsync_project_condition{condition=\"WaitingForImages\",project=\"web\"} 0\n");
}

TEST(Metrics, DriftAndLastSuccessAreGauges) {
  Metrics m("1", "r");
  m.SetDrift("web", "web-prod", 4);
  m.SetDrift("web", "web-prod", 1);
  m.SetLastSuccess("web", std::chrono::system_clock::time_point(seconds(1'700'000'000)));
  const std::string text = m.Serialize();
  EXPECT_TRUE(PromtoolAccepts(text));
  EXPECT_TRUE(HasLine(text, "ecsync_stack_drifted_resources{project=\"web\",stack=\"web-prod\"} 1"))
      << text;
  EXPECT_TRUE(HasLine(text, "ecsync_last_success_timestamp_seconds{project=\"web\"} 1700000000"))
      << text;
}

TEST(Metrics, RemoveProjectDropsEverySeriesOfThatProjectOnly) {
  Metrics m("1", "r");
  for (const char* project : {"web", "api"}) {
    m.ReconcileFinished(project, "success", seconds(2));
    m.SetStack(project, std::string(project) + "-prod", "UPDATE_COMPLETE", "abc");
    m.SetStack(project, std::string(project) + "-prod", "UPDATE_ROLLBACK_COMPLETE", "def");
    m.SetCondition(project, "Ready");
    m.SetDrift(project, std::string(project) + "-prod", 0);
    m.SetLastSuccess(project, std::chrono::system_clock::now());
  }
  m.RemoveProject("web");
  m.RemoveProject("never-seen");
  const std::string text = m.Serialize();
  EXPECT_TRUE(PromtoolAccepts(text));
  EXPECT_EQ(LinesWith(text, "project=\"web\""), "");
  EXPECT_TRUE(HasLine(text, "ecsync_reconciles_total{project=\"api\",result=\"success\"} 1"));
  EXPECT_TRUE(HasLine(text,
                      "ecsync_stack_status{project=\"api\",stack=\"api-prod\",status=\"UPDATE_"
                      "ROLLBACK_COMPLETE\"} 1"));
  EXPECT_NE(LinesWith(text, "ecsync_last_success_timestamp_seconds{project=\"api\"}"), "");

  // A project that comes back starts from zero.
  m.ReconcileFinished("web", "noop", seconds(1));
  EXPECT_TRUE(
      HasLine(m.Serialize(), "ecsync_reconciles_total{project=\"web\",result=\"success\"} 0"));
}

TEST(Metrics, GitFetchTimesEveryFetchAndCountsFailures) {
  Metrics m("1", "r");
  m.GitFetch("apps", std::chrono::milliseconds(30), true);
  m.GitFetch("apps", seconds(2), true);
  m.GitFetch("other", std::chrono::milliseconds(5), true);
  m.GitFetch("apps", seconds(90), false);
  const std::string text = m.Serialize();
  EXPECT_TRUE(PromtoolAccepts(text));
  EXPECT_TRUE(HasLine(text, "ecsync_git_fetch_duration_seconds_count{repository=\"apps\"} 3"))
      << text;
  EXPECT_TRUE(
      HasLine(text, "ecsync_git_fetch_duration_seconds_bucket{repository=\"apps\",le=\"0.05\"} 1"))
      << text;
  EXPECT_TRUE(
      HasLine(text, "ecsync_git_fetch_duration_seconds_bucket{repository=\"apps\",le=\"60\"} 2"))
      << text;
  EXPECT_TRUE(
      HasLine(text, "ecsync_git_fetch_duration_seconds_bucket{repository=\"apps\",le=\"+Inf\"} 3"))
      << text;
  EXPECT_TRUE(
      HasLine(text, "ecsync_git_fetch_duration_seconds_bucket{repository=\"other\",le=\"0.01\"} 1"))
      << text;
  EXPECT_TRUE(HasLine(text, "ecsync_git_fetch_errors_total{repository=\"apps\"} 1")) << text;
  EXPECT_TRUE(HasLine(text, "ecsync_git_fetch_errors_total{repository=\"other\"} 0")) << text;
}

TEST(Metrics, GitBackoffShowsTheFailingRepositoryAndClearsOnSuccess) {
  Metrics m("1", "r");
  m.SetGitBackoff("apps", 3, 80.25);
  m.SetGitBackoff("other", 0, 0);
  std::string text = m.Serialize();
  EXPECT_TRUE(PromtoolAccepts(text));
  EXPECT_TRUE(HasLine(text, "ecsync_git_consecutive_failures{repository=\"apps\"} 3")) << text;
  EXPECT_TRUE(HasLine(text, "ecsync_git_backoff_seconds{repository=\"apps\"} 80.25")) << text;
  EXPECT_TRUE(HasLine(text, "ecsync_git_backoff_seconds{repository=\"other\"} 0")) << text;
  m.SetGitBackoff("apps", 0, 0);
  text = m.Serialize();
  EXPECT_TRUE(HasLine(text, "ecsync_git_consecutive_failures{repository=\"apps\"} 0")) << text;
  EXPECT_TRUE(HasLine(text, "ecsync_git_backoff_seconds{repository=\"apps\"} 0")) << text;
}

TEST(Metrics, AwsCallCountsCodesAndRetries) {
  Metrics m("1", "r");
  m.AwsCall("CloudFormation", "DescribeStacks", "", true, 1);
  m.AwsCall("CloudFormation", "DescribeStacks", "", true, 2);
  m.AwsCall("CloudFormation", "DescribeStacks", "Throttling", false, 3);
  m.AwsCall("CloudFormation", "CreateStack", "", false, 3);
  m.AwsCall("ECS", "DescribeServices", "", true, 1);
  const std::string text = m.Serialize();
  EXPECT_TRUE(PromtoolAccepts(text));
  EXPECT_EQ(LinesWith(text, "ecsync_aws_requests_total{"),
            "ecsync_aws_requests_total{code=\"NetworkError\",operation=\"CreateStack\",service="
            "\"CloudFormation\"} 1\n"
            "ecsync_aws_requests_total{code=\"OK\",operation=\"DescribeServices\",service="
            "\"ECS\"} 1\n"
            "ecsync_aws_requests_total{code=\"OK\",operation=\"DescribeStacks\",service="
            "\"CloudFormation\"} 2\n"
            "ecsync_aws_requests_total{code=\"Throttling\",operation=\"DescribeStacks\",service="
            "\"CloudFormation\"} 1\n");
  EXPECT_TRUE(HasLine(
      text, "ecsync_aws_retries_total{operation=\"DescribeStacks\",service=\"CloudFormation\"} 3"));
  EXPECT_TRUE(HasLine(
      text, "ecsync_aws_retries_total{operation=\"CreateStack\",service=\"CloudFormation\"} 2"));
  EXPECT_TRUE(
      HasLine(text, "ecsync_aws_retries_total{operation=\"DescribeServices\",service=\"ECS\"} 0"));
}

TEST(Metrics, WebhookAndQueueDepth) {
  Metrics m("1", "r");
  m.Webhook("github", "accepted");
  m.Webhook("github", "accepted");
  m.Webhook("gitlab", "unauthorized");
  m.SetQueueDepth(7);
  m.SetQueueDepth(5);
  const std::string text = m.Serialize();
  EXPECT_TRUE(PromtoolAccepts(text));
  EXPECT_TRUE(
      HasLine(text, "ecsync_webhook_requests_total{provider=\"github\",result=\"accepted\"} 2"))
      << text;
  EXPECT_TRUE(
      HasLine(text, "ecsync_webhook_requests_total{provider=\"gitlab\",result=\"unauthorized\"} 1"))
      << text;
  EXPECT_TRUE(HasLine(text, "ecsync_queue_depth 5")) << text;
}

TEST(Metrics, LongestRunningIsReadAtEachScrape) {
  Metrics m("1", "r");
  std::atomic<double> running{0};
  m.SetLongestRunningSource([&running] { return running.load(); });
  EXPECT_TRUE(HasLine(m.Serialize(), "ecsync_reconcile_longest_running_seconds 0"));
  running = 95.5;
  EXPECT_TRUE(HasLine(m.Serialize(), "ecsync_reconcile_longest_running_seconds 95.5"));
  running = 0;
  EXPECT_TRUE(HasLine(m.Serialize(), "ecsync_reconcile_longest_running_seconds 0"));
}

TEST(Metrics, LongestRunningSourceMayCallBackIntoMetrics) {
  Metrics m("1", "r");
  // The source runs without Metrics' lock, so it may record metrics itself.
  m.SetLongestRunningSource([&m] {
    m.SetQueueDepth(2);
    m.SetCondition("web", "Reconciling");
    return 1.0;
  });
  const std::string text = m.Serialize();
  EXPECT_TRUE(HasLine(text, "ecsync_reconcile_longest_running_seconds 1")) << text;
  EXPECT_TRUE(HasLine(text, "ecsync_queue_depth 2")) << text;
}

TEST(Metrics, LabelValuesAreEscaped) {
  Metrics m("1", "r");
  m.ReconcileFinished("we\"ird\\name\nx", "success", seconds(1));
  const std::string text = m.Serialize();
  EXPECT_TRUE(PromtoolAccepts(text));
  EXPECT_TRUE(HasLine(
      text, "ecsync_reconciles_total{project=\"we\\\"ird\\\\name\\nx\",result=\"success\"} 1"))
      << text;
}

TEST(Metrics, ConcurrentCallsAreSafe) {
  Metrics m("1", "r");
  constexpr int kThreads = 4;
  constexpr int kRounds = 300;
  std::atomic<int> scrapes{0};
  m.SetLongestRunningSource([&scrapes] { return static_cast<double>(scrapes.load()); });
  std::vector<std::thread> threads;
  threads.reserve(kThreads);
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&m, &scrapes, t] {
      const std::string own = "p" + std::to_string(t);
      for (int i = 0; i < kRounds; ++i) {
        // "shared" is changed and removed by every thread at once.
        for (const std::string& project : {own, std::string("shared")}) {
          m.ReconcileFinished(project, i % 2 ? "success" : "noop", seconds(i));
          m.SetStack(project, project + "-stack", i % 2 ? "UPDATE_COMPLETE" : "CREATE_COMPLETE",
                     std::to_string(i));
          m.SetCondition(project, i % 3 ? "Ready" : "Reconciling");
          m.SetDrift(project, project + "-stack", i);
          m.SetLastSuccess(project, std::chrono::system_clock::now());
        }
        if (i % 10 == 0) m.RemoveProject("shared");
        m.GitFetch("repo", std::chrono::milliseconds(i), i % 4 != 0);
        m.AwsCall("CloudFormation", "DescribeStacks", i % 5 ? "" : "Throttling", i % 5 != 0, 2);
        m.Webhook("github", "accepted");
        m.SetQueueDepth(i);
        if (i % 50 == 0) {
          m.Serialize();
          ++scrapes;
        }
      }
    });
  }
  for (std::thread& thread : threads) thread.join();

  const std::string text = m.Serialize();
  EXPECT_TRUE(PromtoolAccepts(text));
  const int total = kThreads * kRounds;
  EXPECT_TRUE(
      HasLine(text, "ecsync_webhook_requests_total{provider=\"github\",result=\"accepted\"} " +
                        std::to_string(total)));
  EXPECT_TRUE(HasLine(text,
                      "ecsync_aws_retries_total{operation=\"DescribeStacks\",service="
                      "\"CloudFormation\"} " +
                          std::to_string(total)));
  EXPECT_TRUE(HasLine(text, "ecsync_git_fetch_duration_seconds_count{repository=\"repo\"} " +
                                std::to_string(total)));
  // The last change to "shared" may have been a removal; otherwise it has one series per stack.
  EXPECT_LE(CountLines(text, "ecsync_stack_status{project=\"shared\""), 1);
  EXPECT_LE(CountLines(text, "ecsync_stack_revision_info{project=\"shared\""), 1);
  for (int t = 0; t < kThreads; ++t) {
    const std::string project = "p" + std::to_string(t);
    EXPECT_TRUE(HasLine(text, "ecsync_reconciles_total{project=\"" + project +
                                  "\",result=\"success\"} " + std::to_string(kRounds / 2)));
    EXPECT_EQ(CountLines(text, "ecsync_stack_status{project=\"" + project + "\""), 1);
    EXPECT_EQ(CountLines(text, "ecsync_stack_revision_info{project=\"" + project + "\""), 1);
  }
}

}  // namespace
}  // namespace ecsync::metrics
