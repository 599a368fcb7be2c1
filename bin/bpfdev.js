#!/usr/bin/env node
'use strict';
require('../dist/bpfdev.js');
