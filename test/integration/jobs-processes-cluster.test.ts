import { jobsAcrossProcesses, TOPOLOGIES } from './jobs-processes-suite.js';

jobsAcrossProcesses(TOPOLOGIES.cluster);
