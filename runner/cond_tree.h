#ifndef FY_COND_TREE_H
#define FY_COND_TREE_H

#include "compat.h"

#include "cond.h"

/*
 * cond_tree.h: private to runner/cond_*.c.  The parse tree of a
 * condition, shaped like travis-conditions' s-expressions:
 *
 *   CN_OR, CN_AND          [:or, lft, rgt]
 *   CN_NOT                 [:not, lft]
 *   CN_EQ ... CN_NOT_MATCH [:eq, lft, rgt]; for the match kinds rgt is a
 *                          CN_REG, or NULL for Ruby's nil regex
 *   CN_IN, CN_NOT_IN       [:in, lft, [items]]; has_list false for nil
 *   CN_IS, CN_IS_NOT       [:is, lft, :pred]
 *   CN_VAL, CN_VAR         [:val, "str"], [:var, :name]
 *   CN_CALL                [:call, :name, [items]] (name as written)
 *   CN_REG                 [:reg, "str"] or [:reg, lft] (lft a CN_CALL)
 *
 * Every node and string belongs to its struct cond, which frees them in
 * one pass (no recursion over the tree).
 */
enum cond_kind {
	CN_OR,
	CN_AND,
	CN_NOT,
	CN_EQ,
	CN_NOT_EQ,
	CN_MATCH,
	CN_NOT_MATCH,
	CN_IN,
	CN_NOT_IN,
	CN_IS,
	CN_IS_NOT,
	CN_VAL,
	CN_VAR,
	CN_CALL,
	CN_REG,
};

enum cond_pred {
	CP_PRESENT,
	CP_BLANK,
	CP_TRUE,
	CP_FALSE,
};

struct cond_node {
	enum cond_kind kind;
	struct cond_node *lft, *rgt;
	char *str; /* CN_VAL, CN_VAR, CN_CALL, CN_REG text (NUL-terminated) */
	size_t len;
	struct cond_node **items; /* CN_CALL arguments, CN_IN list */
	size_t nitems, aitems;
	bool has_list;
	enum cond_pred pred;
};

struct cond {
	struct cond_node *root;
	struct cond_node **nodes; /* every node, for cond_free() */
	size_t nnodes, anodes;
};

#endif
