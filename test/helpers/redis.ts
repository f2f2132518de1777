// The tests' private Redis: the project's one helper (scripts/private-redis.ts).
export { redisAvailable, REDIS_MISSING, startRedis, type TestRedis } from '../../scripts/private-redis'
