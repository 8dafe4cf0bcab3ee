/* glia: everything public, in one include. */
#ifndef GLIA_GLIA_H
#define GLIA_GLIA_H
#include "glia/cluster.h"
#include "glia/core.h"
#include "glia/file.h"
#include "glia/image.h"
#include "glia/version.h"
#endif
