/* The seed's list of load-balancing options and its verdict on each (lab/options.yaml, quoted), with
 * the scenarios that exercise each option: the report's "seed's options" table puts the verdict beside
 * what the run measured. Pure: text in, struct out. */
#ifndef LAB_OPTIONS_H
#define LAB_OPTIONS_H

#include <stddef.h>

#include "scenario.h"

#define OPTIONS_MAX 16
#define OPTION_MAX_SCENARIOS 8

struct lab_option {
  char option[256];       /* the seed's words for the option */
  char seed_verdict[768]; /* the seed's words on it */
  char scenarios[OPTION_MAX_SCENARIOS][SC_NAME_MAX];
  size_t n_scenarios;
};

struct lab_options {
  struct lab_option options[OPTIONS_MAX];
  size_t n;
};

/* Parses the options file. Returns 0, or -1 with err = "PATH:LINE: message". */
int options_parse(const char *path, const char *text, size_t len, struct lab_options *out, char *err, size_t errlen);
int options_load(const char *path, struct lab_options *out, char *err, size_t errlen);

#endif
