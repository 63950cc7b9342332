/* outcome — the run's error kind (stats/runstats) for a transport outcome
 * (load/conn). The one place the two vocabularies meet: conn knows nothing of
 * the run's error kinds, and the kinds judged from a response (http_4xx,
 * http_5xx, invalid_response) are the engine's to add. */
#ifndef TAILGATE_LOAD_OUTCOME_H
#define TAILGATE_LOAD_OUTCOME_H

#include "load/conn.h"
#include "stats/runstats.h"

static inline err_kind_t outcome_err_kind(conn_outcome_t o)
{
    switch (o) {
    case CONN_OK:
        return ERR_NONE;
    case CONN_ERR_CONNECT_REFUSED:
        return ERR_CONNECT_REFUSED;
    case CONN_ERR_CONNECT_TIMEOUT:
        return ERR_CONNECT_TIMEOUT;
    case CONN_ERR_TIMEOUT:
        return ERR_TIMEOUT;
    case CONN_ERR_RESET:
        return ERR_RESET;
    case CONN_ERR_PROTOCOL:
        return ERR_PROTOCOL;
    case CONN_ERR_TLS:
        return ERR_TLS;
    }
    return ERR_PROTOCOL; /* not reached: every outcome is listed (-Wswitch checks) */
}

#endif
