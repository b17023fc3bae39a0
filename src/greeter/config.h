/* The greeter programs' configuration rules on top of src/common/env: what both mains share. */
#ifndef GREETER_CONFIG_H
#define GREETER_CONFIG_H

/* Exits 2, naming the variable, when one of the NULL-terminated `vars` is set to the empty string:
 * `LISTEN_ADDRESS=` is a mistake, not a request for the default (env_str would take it for unset). */
void config_refuse_empty(const char *const *vars);

/* NAME, by default the host name; exits 2 naming the variable when text_check_name refuses it
 * (too long, not UTF-8, a control character such as a newline). */
const char *config_name(void);

#endif
