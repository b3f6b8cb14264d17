// The operator's moderation state: bans (by id and address, bounded), approval and hiding,
// why sessions ended, the action log.
#include "core/moderation.hpp"

#include <catch2/catch.hpp>

#include <string>

using namespace tessera::core;

TEST_CASE("participant ids: 8-64 characters of [A-Za-z0-9_-]", "[core][moderation]") {
  struct Row {
    std::string id;
    bool valid;
  };
  for (const Row& r :
       {Row{"0123456789abcdef", true}, Row{"abcDEF_-", true}, Row{std::string(64, 'a'), true},
        Row{std::string(65, 'a'), false}, Row{"short", false}, Row{"", false},
        Row{"has space12", false}, Row{"semi;colon12", false}, Row{"ünicode-id", false}}) {
    INFO(r.id);
    CHECK(validParticipantId(r.id) == r.valid);
  }
}

TEST_CASE("a ban refuses the participant id and the address", "[core][moderation]") {
  BanList bans;
  CHECK_FALSE(bans.banned({"page-aaaaaaaa", "10.0.0.1"}));
  bans.add({"page-aaaaaaaa", "10.0.0.1"});
  CHECK(bans.banned({"page-aaaaaaaa", "10.0.0.1"}));
  CHECK(bans.banned({"page-aaaaaaaa", "10.0.0.9"}));  // the same page from elsewhere
  CHECK(bans.banned({"page-bbbbbbbb", "10.0.0.1"}));  // a fresh id from the same address
  CHECK(bans.banned({"", "10.0.0.1"}));               // a WHIP client without the page
  CHECK_FALSE(bans.banned({"page-bbbbbbbb", "10.0.0.2"}));
  CHECK_FALSE(bans.banned({"", ""}));
}

TEST_CASE("ban_by_address = false: only the id counts", "[core][moderation]") {
  BanList bans(16, false);
  bans.add({"page-aaaaaaaa", "127.0.0.1"});
  CHECK(bans.banned({"page-aaaaaaaa", "127.0.0.1"}));
  CHECK_FALSE(bans.banned({"page-bbbbbbbb", "127.0.0.1"}));
  CHECK_FALSE(bans.banned({"", "127.0.0.1"}));
}

TEST_CASE("a banned participant without an id is refused by address", "[core][moderation]") {
  BanList bans;
  bans.add({"", "10.0.0.7"});
  CHECK(bans.banned({"", "10.0.0.7"}));
  // An empty id never matches an empty id.
  CHECK_FALSE(bans.banned({"", "10.0.0.8"}));
}

TEST_CASE("the ban list is bounded: the oldest ban is lifted", "[core][moderation]") {
  BanList bans(3);
  for (int i = 0; i < 3; ++i) {
    CHECK_FALSE(bans.add({"page-" + std::to_string(i) + "xxxxxx", "10.0.0." + std::to_string(i)}));
  }
  CHECK(bans.size() == 3);
  const auto lifted = bans.add({"page-3xxxxxx", "10.0.0.3"});
  REQUIRE(lifted);
  CHECK(lifted->participant == "page-0xxxxxx");
  CHECK(bans.size() == 3);
  CHECK_FALSE(bans.banned({"page-0xxxxxx", "10.0.0.0"}));
  for (int i = 1; i <= 3; ++i) {
    CHECK(bans.banned({"page-" + std::to_string(i) + "xxxxxx", "elsewhere"}));
  }
  for (int i = 0; i < 1000; ++i) bans.add({"p-" + std::to_string(i) + "xxxxxxx", "a"});
  CHECK(bans.size() == 3);
}

TEST_CASE("two bans of one address: lifting one keeps the other", "[core][moderation]") {
  BanList bans(2);
  bans.add({"page-aaaaaaaa", "10.0.0.1"});
  bans.add({"page-bbbbbbbb", "10.0.0.1"});
  bans.add({"page-cccccccc", "10.0.0.2"});  // lifts page-aaaaaaaa
  CHECK_FALSE(bans.banned({"page-aaaaaaaa", "10.0.0.9"}));
  CHECK(bans.banned({"page-zzzzzzzz", "10.0.0.1"}));
}

TEST_CASE("approval and hiding decide the canvas", "[core][moderation]") {
  FeedVisibility v;
  const FeedId a{1}, b{2};
  CHECK(v.onCanvas(a));
  v.addWaiting(a);
  CHECK(v.waiting(a));
  CHECK_FALSE(v.onCanvas(a));
  CHECK(v.waitingCount() == 1);
  CHECK(v.hide(a));  // hidden while waiting: approval alone does not show it
  CHECK(v.approve(a));
  CHECK_FALSE(v.approve(a));
  CHECK_FALSE(v.onCanvas(a));
  CHECK(v.show(a));
  CHECK_FALSE(v.show(a));
  CHECK(v.onCanvas(a));
  CHECK(v.hide(b));
  CHECK_FALSE(v.hide(b));
  v.forget(b);
  CHECK(v.onCanvas(b));
  CHECK(v.waitingCount() == 0);
}

TEST_CASE("ended sessions remember the strongest reason, bounded", "[core][moderation]") {
  EndedSessions ended(2);
  ended.add("s1", SessionEnd::kKicked);
  ended.add("s1", SessionEnd::kLeft);  // the removal that follows the kick
  CHECK(ended.find("s1") == SessionEnd::kKicked);
  ended.add("s2", SessionEnd::kLeft);
  ended.add("s2", SessionEnd::kBanned);
  CHECK(ended.find("s2") == SessionEnd::kBanned);
  ended.add("s3", SessionEnd::kLeft);
  CHECK_FALSE(ended.find("s1"));
  CHECK(ended.size() == 2);
  CHECK_FALSE(ended.find("nope"));
}

TEST_CASE("the moderation log keeps the last actions in order", "[core][moderation]") {
  ModerationLog log(2);
  const auto t = std::chrono::system_clock::now();
  log.add(ModerationAction::kHide, FeedId{1}, "http 10.0.0.1", t);
  log.add(ModerationAction::kShow, FeedId{1}, "osc 10.0.0.2", t);
  const auto& r = log.add(ModerationAction::kBan, FeedId{2}, "http 10.0.0.1", t);
  CHECK(r.seq == 3);
  CHECK(log.total() == 3);
  REQUIRE(log.records().size() == 2);
  CHECK(log.records().front().action == ModerationAction::kShow);
  CHECK(log.records().back().feed == FeedId{2});
}

TEST_CASE("moderation actions by name", "[core][moderation]") {
  CHECK(moderationActionFrom("hide") == ModerationAction::kHide);
  CHECK(moderationActionFrom("approve") == ModerationAction::kApprove);
  CHECK_FALSE(moderationActionFrom("delete"));
  CHECK(std::string(toString(ModerationAction::kKick)) == "kick");
}
