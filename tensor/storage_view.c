/* storage_view.c: storages that share another storage's elements (Torch7's
 * torch.FloatStorage(s, offset, size)). The view points into base's buffer and holds a
 * reference to base; base counts its views and refuses to move its buffer (grow past its
 * capacity) while any lives, so a view never points at freed memory. A view of a view
 * refers to the root storage directly: every view's base owns its buffer. */
#include "internal.h"

lt_storage *lt_storage_view(lt_storage *base, int64_t offset, int64_t size) {
  if (offset < 0 || size < 0 || offset > base->size || size > base->size - offset)
    LT_FAIL(NULL, "storage view: offset %lld (0-based) and size %lld do not fit a storage of size %lld",
            (long long)offset, (long long)size, (long long)base->size);
  if (base->device.type != LT_CPU) LT_FAIL(NULL, "storage view: not supported on CUDA storages yet");
  if (base->base) {
    /* a view of a view: point at the root instead, so chains stay one level deep (freeing
     * a long chain recursively would overflow the C stack) and only the root's views count
     * and version counter matter. base->data is root->data + base's offset (both NULL
     * only when base is empty, and then offset is 0). */
    lt_storage *root = base->base;
    if (base->data && root->data)
      offset += ((char *)base->data - (char *)root->data) / (ptrdiff_t)lt_dtype_size(base->dtype);
    base = root;
  }
  void *data = base->data ? (char *)base->data + (size_t)offset * lt_dtype_size(base->dtype) : NULL;
  lt_storage *s = lt_storage_wrap(base->dtype, data, size, base->device);
  if (!s) return NULL;
  lt_storage_retain(base);
  base->views++;
  s->base = base;
  return s;
}
