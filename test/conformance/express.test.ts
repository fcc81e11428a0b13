import express from 'express';
import express4 from 'express4';
import { expressAdapter } from './adapters.js';
import { describeConformance } from './suite.js';

describeConformance(expressAdapter('express 5', express));
describeConformance(expressAdapter('express 4', express4));
