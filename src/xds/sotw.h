/* The state-of-the-world ADS policy for one stream and one resource type, with no I/O:
 * subscriptions (wildcard, names, unsubscribe), nonces, ACK/NACK by error_detail, stale nonces,
 * and the decision whether to send. ads.c does the I/O around it (xds-facts.md §2). */
#ifndef XDS_SOTW_H
#define XDS_SOTW_H

#include <stddef.h>
#include <stdint.h>

struct sotw_state {
  unsigned requested : 1;   /* a request of this type arrived on the stream */
  unsigned wildcard : 1;    /* "*", or empty names before any name was ever listed */
  unsigned ever_named : 1;  /* a request listed a name: an empty list now means "nothing" */
  unsigned nacked : 1;      /* the last response was NACKed; cleared by the next ACK */
  unsigned no_wildcard : 1; /* RDS and EDS: an empty list never means "everything" (set by the owner) */
  unsigned replied : 1;     /* the last response was ACKed or NACKed; cleared by sotw_sent */
  char **names;             /* sorted, unique (owned, each owned) */
  size_t n_names;
  uint64_t nonce_sent;   /* nonce of the last response (0: none sent yet) */
  uint64_t version_sent; /* snapshot version of the last response */
  uint64_t hash_sent;    /* hash of the resources in the last response */
  uint64_t hash_nacked;  /* hash of the content the client rejected */
  char *version_acked;   /* version_info of the last ACK (owned; NULL before any) */
  char *nack_message;    /* error_detail.message of the last NACK (owned; NULL before any) */
  int64_t push_start_us; /* when the change behind the last response happened (0: not a push) */
};

enum sotw_verdict {
  SOTW_FIRST = 0, /* first request of the type, or a request without nonce (or with a nonce when
                     nothing was sent yet for the type on this stream: it is from an earlier stream) */
  SOTW_ACK,       /* nonce of the last response, no error_detail */
  SOTW_NACK,      /* nonce of the last response, error_detail present */
  SOTW_STALE,     /* nonce of an older response: ignored entirely (the caller may still log a NACK) */
};

void sotw_init(struct sotw_state *st);
void sotw_free(struct sotw_state *st);

/* Applies a request. `nonce` is the request's response_nonce ("" when none), `error` its
 * error_detail.message or NULL when error_detail is absent, `version` its version_info.
 * Sets *respond when the server must answer: the first request of the type, wildcard turned on, or a
 * name added (a narrowed subscription needs no answer).
 * Returns the verdict, or -1 on allocation failure (the state is then unchanged). */
int sotw_on_request(struct sotw_state *st, char *const *names, size_t n, const char *nonce, const char *error,
                    const char *version, int *respond);

/* Whether anything is subscribed (wildcard or at least one name). */
int sotw_subscribed(const struct sotw_state *st);
/* Whether `name` is subscribed (always true under wildcard). */
int sotw_wants(const struct sotw_state *st, const char *name);

/* Whether a response with content `hash` should go out: `forced` (the subscription changed) sends
 * whenever something is subscribed; otherwise only when the content differs from what was last sent
 * and is not the content the client rejected. */
int sotw_should_send(const struct sotw_state *st, uint64_t hash, int forced);

/* Records a response sent with `nonce`, `version` and content `hash`. */
void sotw_sent(struct sotw_state *st, uint64_t nonce, uint64_t version, uint64_t hash, int64_t push_start_us);

#endif
