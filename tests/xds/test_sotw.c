/* Unit tests of src/xds/sotw.c: the per-stream, per-type SotW state machine, without I/O. */
#include <string.h>

#include "sotw.h"
#include "xtest.h"

int main(void) {
  struct sotw_state st;
  int respond;
  char *ab[] = {"b", "a", "a"}, *a[] = {"a"}, *star[] = {"*"};

  /* Named subscription (gRPC clients). */
  sotw_init(&st);
  REQUIRE(!sotw_subscribed(&st), "nothing subscribed before a request");
  REQUIRE(sotw_on_request(&st, ab, 3, "", NULL, "", &respond) == SOTW_FIRST && respond, "first request is answered");
  REQUIRE(st.n_names == 2 && strcmp(st.names[0], "a") == 0, "names sorted and de-duplicated");
  REQUIRE(sotw_wants(&st, "b") && !sotw_wants(&st, "c") && !st.wildcard, "wants only its names");
  REQUIRE(sotw_should_send(&st, 7, 1), "a forced send goes out");
  sotw_sent(&st, 11, 1, 7, 0);
  REQUIRE(sotw_on_request(&st, ab, 3, "11", NULL, "1", &respond) == SOTW_ACK && !respond, "plain ACK: not answered");
  REQUIRE(strcmp(st.version_acked, "1") == 0, "ACKed version recorded");
  REQUIRE(!sotw_should_send(&st, 7, 0), "unchanged content is not pushed");
  REQUIRE(sotw_should_send(&st, 8, 0), "changed content is pushed");
  sotw_sent(&st, 12, 2, 8, 0);
  REQUIRE(sotw_on_request(&st, ab, 3, "11", NULL, "1", &respond) == SOTW_STALE && !respond, "old nonce is stale");
  REQUIRE(sotw_on_request(&st, ab, 3, "99", NULL, "1", &respond) == SOTW_STALE, "a nonce never sent is stale");
  REQUIRE(sotw_on_request(&st, ab, 3, "12", "bad weights", "1", &respond) == SOTW_NACK && !respond, "NACK recognised");
  REQUIRE(st.nacked && strcmp(st.nack_message, "bad weights") == 0, "NACK message kept");
  REQUIRE(!sotw_should_send(&st, 8, 0), "NACKed content is not resent");
  REQUIRE(sotw_should_send(&st, 9, 0), "new content after a NACK is sent");
  sotw_sent(&st, 13, 3, 9, 0);
  REQUIRE(sotw_on_request(&st, ab, 3, "13", NULL, "3", &respond) == SOTW_ACK && !st.nacked, "ACK clears the NACK");
  REQUIRE(st.nack_message != NULL, "but the last NACK message stays for /status");
  REQUIRE(sotw_on_request(&st, a, 1, "13", NULL, "3", &respond) == SOTW_ACK && !respond, "narrowing is not answered");
  REQUIRE(!sotw_wants(&st, "b"), "b unsubscribed");
  REQUIRE(sotw_on_request(&st, ab, 3, "13", NULL, "3", &respond) == SOTW_ACK && respond, "adding a name is answered");
  REQUIRE(sotw_on_request(&st, NULL, 0, "13", NULL, "3", &respond) == SOTW_ACK && !respond, "empty list after names");
  REQUIRE(!sotw_subscribed(&st) && !st.wildcard, "means unsubscribed, not wildcard");
  REQUIRE(!sotw_should_send(&st, 10, 1), "nothing is sent to an unsubscribed type");
  sotw_free(&st);

  /* A client reconnecting carries the nonce of its previous stream: nothing was sent on this one yet,
   * so it is a first request (answered), not a stale one (which would never be answered). */
  sotw_init(&st);
  REQUIRE(sotw_on_request(&st, ab, 3, "41", NULL, "7", &respond) == SOTW_FIRST && respond,
          "an old stream's nonce before anything was sent: a first request, answered");
  REQUIRE(sotw_subscribed(&st) && st.n_names == 2, "and its names are taken");
  sotw_sent(&st, 1, 8, 7, 0);
  REQUIRE(sotw_on_request(&st, ab, 3, "1", NULL, "8", &respond) == SOTW_ACK && st.replied, "then the usual ACK");
  sotw_free(&st);
  sotw_init(&st);
  REQUIRE(sotw_on_request(&st, a, 1, "41", "rejected on the old stream", "7", &respond) == SOTW_FIRST && respond &&
              !st.nacked,
          "an old stream's NACK is not a NACK of this stream");
  sotw_sent(&st, 2, 8, 7, 0);
  REQUIRE(!st.replied, "a response not answered yet");
  REQUIRE(sotw_on_request(&st, a, 1, "1", "late", "7", &respond) == SOTW_STALE && !st.nacked && !st.replied,
          "a NACK with a stale nonce changes nothing (ads.c logs and counts it)");
  REQUIRE(sotw_on_request(&st, a, 1, "2", "bad", "7", &respond) == SOTW_NACK && st.replied, "a NACK answers");
  sotw_free(&st);

  /* Wildcard (Envoy). */
  sotw_init(&st);
  REQUIRE(sotw_on_request(&st, NULL, 0, "", NULL, "", &respond) == SOTW_FIRST && respond && st.wildcard,
          "empty first request is wildcard");
  REQUIRE(sotw_wants(&st, "anything"), "wildcard wants everything");
  sotw_sent(&st, 1, 1, 5, 0);
  REQUIRE(sotw_on_request(&st, star, 1, "1", NULL, "1", &respond) == SOTW_ACK && !respond && st.wildcard,
          "\"*\" is the same wildcard");
  REQUIRE(sotw_on_request(&st, NULL, 0, "", NULL, "1", &respond) == SOTW_FIRST && !respond,
          "a request without nonce on a known type changes nothing");
  sotw_free(&st);

  /* RDS and EDS have no wildcard: an empty first request subscribes to nothing. */
  sotw_init(&st);
  st.no_wildcard = 1;
  REQUIRE(sotw_on_request(&st, NULL, 0, "", NULL, "", &respond) == SOTW_FIRST && !st.wildcard && !sotw_subscribed(&st),
          "no wildcard for RDS/EDS");
  REQUIRE(sotw_on_request(&st, star, 1, "", NULL, "", &respond) >= 0 && !st.wildcard, "not even with \"*\"");
  sotw_free(&st);
  return 0;
}
