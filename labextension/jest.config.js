/** Unit tests of the pure modules (bundle, rendering, notebook source) in jsdom; no JupyterLab needed. */
module.exports = {
  testEnvironment: 'jsdom',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.spec.ts'],
  transform: { '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.jest.json' }] }
};
