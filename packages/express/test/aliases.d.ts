// Express 4 is installed under an npm alias; typed as Express 5 as far as these tests use it.
declare module 'express4' {
  import express from 'express';
  export default express;
}
