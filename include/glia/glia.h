/* glia: everything public, in one include. */
#ifndef GLIA_GLIA_H
#define GLIA_GLIA_H
#include "glia/cluster.h"
#include "glia/core.h"
#include "glia/file.h"
#include "glia/image.h"
#include "glia/version.h"
#include "glia/filter.h"
#include "glia/threshold.h"
#include "glia/morph.h"
#include "glia/clahe.h"
#include "glia/musica.h"
#include "glia/crop.h"
#include "glia/snake.h"
#include "glia/skull.h"
#include "glia/watershed.h"
#include "glia/plot.h"
#endif
