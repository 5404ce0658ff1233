// The request parser on its own: every limit and refusal, fed in pieces of any size.

#include "server/request_reader.h"

#include <gtest/gtest.h>

#include <string>

namespace ecsync::server {
namespace {

using State = RequestReader::State;

RequestLimits SmallLimits() {
  RequestLimits limits;
  limits.max_request_line = 64;
  limits.max_header_count = 4;
  limits.max_header_bytes = 128;
  limits.max_body_bytes = 16;
  return limits;
}

TEST(RequestReader, ParsesARequestFedOneByteAtATime) {
  const std::string text =
      "POST /hooks/github?x=1 HTTP/1.1\r\nHost: a\r\nX-Thing:  v a l  \r\nContent-Length: 5\r\n"
      "\r\nhello";
  RequestReader reader(SmallLimits());
  for (size_t i = 0; i + 1 < text.size(); ++i) {
    ASSERT_EQ(reader.Feed(text.substr(i, 1)), State::kNeedMore) << i;
  }
  ASSERT_EQ(reader.Feed(text.substr(text.size() - 1)), State::kComplete);
  const Request& request = reader.request();
  EXPECT_EQ(request.method, "POST");
  EXPECT_EQ(request.target, "/hooks/github?x=1");
  EXPECT_EQ(request.path, "/hooks/github");
  EXPECT_EQ(request.query, "x=1");
  EXPECT_EQ(request.body, "hello");
  ASSERT_NE(request.Header("x-thing"), nullptr);
  EXPECT_EQ(*request.Header("X-THING"), "v a l");
  EXPECT_TRUE(request.keep_alive);
}

TEST(RequestReader, PipelinedRequestsComeOneAfterTheOther) {
  RequestReader reader(SmallLimits());
  ASSERT_EQ(reader.Feed("GET /a HTTP/1.1\r\n\r\nGET /b HTTP/1.1\nConnection: close\n\nGET"),
            State::kComplete);
  EXPECT_EQ(reader.request().path, "/a");
  ASSERT_EQ(reader.Next(), State::kComplete);
  EXPECT_EQ(reader.request().path, "/b");
  EXPECT_FALSE(reader.request().keep_alive);
  EXPECT_EQ(reader.Next(), State::kNeedMore);
  EXPECT_FALSE(reader.idle());
}

TEST(RequestReader, EmptyLinesBeforeARequestAreBoundedAcrossPieces) {
  RequestReader reader(SmallLimits());
  for (int i = 0; i < 4; ++i) ASSERT_EQ(reader.Feed("\r\n"), State::kNeedMore) << i;
  EXPECT_EQ(reader.Feed("\r\n"), State::kError);
  EXPECT_EQ(reader.error_status(), 400);
}

TEST(RequestReader, Http10ClosesUnlessAskedToKeepAlive) {
  RequestReader reader(SmallLimits());
  ASSERT_EQ(reader.Feed("GET / HTTP/1.0\r\n\r\n"), State::kComplete);
  EXPECT_FALSE(reader.request().keep_alive);
  RequestReader again(SmallLimits());
  ASSERT_EQ(again.Feed("GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n"), State::kComplete);
  EXPECT_TRUE(again.request().keep_alive);
}

TEST(RequestReader, TooManyHeadersIs431) {
  RequestReader reader(SmallLimits());
  EXPECT_EQ(reader.Feed("GET / HTTP/1.1\r\na: 1\r\nb: 2\r\nc: 3\r\nd: 4\r\ne: 5\r\n"),
            State::kError);
  EXPECT_EQ(reader.error_status(), 431);
}

TEST(RequestReader, HeaderBytesOverTheLimitAre431BeforeTheLineEnds) {
  RequestReader reader(SmallLimits());
  ASSERT_EQ(reader.Feed("GET / HTTP/1.1\r\nX-Big: "), State::kNeedMore);
  EXPECT_EQ(reader.Feed(std::string(200, 'a')), State::kError);  // no newline yet
  EXPECT_EQ(reader.error_status(), 431);
  EXPECT_EQ(reader.Feed("more"), State::kError);
}

TEST(RequestReader, LongRequestLineIs414) {
  RequestReader reader(SmallLimits());
  EXPECT_EQ(reader.Feed("GET /" + std::string(100, 'a')), State::kError);
  EXPECT_EQ(reader.error_status(), 414);
}

TEST(RequestReader, BodyOverTheLimitIs413WithTheHeadKept) {
  RequestReader reader(SmallLimits());
  EXPECT_EQ(reader.Feed("POST /hooks/gitlab HTTP/1.1\r\nContent-Length: 17\r\n\r\n"),
            State::kError);
  EXPECT_EQ(reader.error_status(), 413);
  EXPECT_EQ(reader.request().path, "/hooks/gitlab");
  EXPECT_TRUE(reader.request().body.empty());
  RequestReader huge(SmallLimits());
  EXPECT_EQ(huge.Feed("POST / HTTP/1.1\r\nContent-Length: 99999999999999999999999\r\n\r\n"),
            State::kError);
  EXPECT_EQ(huge.error_status(), 413);
}

TEST(RequestReader, ExpectContinueOnlyForAnAcceptableBody) {
  RequestReader reader(SmallLimits());
  EXPECT_EQ(reader.Feed("POST / HTTP/1.1\r\nExpect: 100-continue\r\nContent-Length: 3\r\n\r\n"),
            State::kNeedMore);
  EXPECT_TRUE(reader.head_complete());
  EXPECT_TRUE(reader.expects_continue());
  EXPECT_EQ(reader.Feed("abc"), State::kComplete);
  EXPECT_FALSE(reader.expects_continue());
}

struct Refusal {
  const char* text;
  int status;
};

class RequestReaderRefuses : public ::testing::TestWithParam<Refusal> {};

TEST_P(RequestReaderRefuses, WithTheRightStatus) {
  RequestReader reader(SmallLimits());
  EXPECT_EQ(reader.Feed(GetParam().text), State::kError) << GetParam().text;
  EXPECT_EQ(reader.error_status(), GetParam().status) << GetParam().text;
  EXPECT_FALSE(reader.error_reason().empty());
}

INSTANTIATE_TEST_SUITE_P(
    Malformed, RequestReaderRefuses,
    ::testing::Values(
        Refusal{"GET\r\n", 400}, Refusal{"GET  / HTTP/1.1\r\n", 400},
        Refusal{"GET http://x/ HTTP/1.1\r\n", 400}, Refusal{"G(T / HTTP/1.1\r\n", 400},
        Refusal{"GET / HTTP/2.0\r\n", 505}, Refusal{"GET / HTTQ/1.1\r\n", 400},
        Refusal{"GET / HTTP/1.1\r\nNo colon\r\n", 400}, Refusal{"GET / HTTP/1.1\r\nA : b\r\n", 400},
        Refusal{"GET / HTTP/1.1\r\nA: b\r\n c\r\n", 400},
        Refusal{"GET / HTTP/1.1\r\nA: b\x01\r\n", 400},
        Refusal{"POST / HTTP/1.1\r\nContent-Length: 1x\r\n\r\n", 400},
        Refusal{"POST / HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n", 400},
        Refusal{"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n", 411},
        Refusal{"\r\n\r\n\r\n\r\n\r\n\r\n", 400}));

}  // namespace
}  // namespace ecsync::server
