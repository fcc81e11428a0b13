// The previous majors are installed under npm aliases; their API is the one typed for the current
// major as far as these tests use it.
declare module 'express4' {
  import express from 'express';
  export default express;
}

declare module 'koa2' {
  import Koa from 'koa';
  export default Koa;
}
