/* The one place the version is written. */
#ifndef TAILGATE_CORE_VERSION_H
#define TAILGATE_CORE_VERSION_H
#define TAILGATE_VERSION "0.1.0"
#endif
